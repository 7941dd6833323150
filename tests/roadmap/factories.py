import factory

from roadmap.models import BacklogItem


class BacklogItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BacklogItem

    title = factory.Sequence(lambda n: f"Backlog item {n}")
    customer_problem = "Exports of large reports time out."
    desired_outcome = "A 50k-row export finishes in under a minute."
