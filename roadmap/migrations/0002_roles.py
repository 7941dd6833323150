"""Create the four roles (Admin, Product manager, Engineer, Executive) as groups.

It lives in `roadmap`, the top of the house, because a role spans the permissions of every app and
this migration must run after all of them. Permissions are normally created after `migrate`
finishes; they are created here first so that the groups can hold them on a fresh database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from insights.roles import roles_sync


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    # Not strict: permissions of models created by later migrations are added after migrate.
    roles_sync(
        group_model=apps.get_model("auth", "Group"),
        permission_model=apps.get_model("auth", "Permission"),
        strict=False,
    )


def remove_roles(apps, schema_editor):
    from insights.roles import ROLE_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("insights", "0001_initial"),
        ("touchpoints", "0001_initial"),
        ("metrics", "0001_initial"),
        ("roadmap", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
