"""Pages for feedback, pain points, accounts and imports. Thin: selectors read, templates show.
One module per part of the app; urls.py reaches every view through this package."""

from insights.views.churn import (
    churn_at_risk,
    churn_at_risk_csv,
    churn_model,
    churn_retrain,
)
from insights.views.customers import (
    customer_detail,
    customer_list,
)
from insights.views.feedback import (
    feedback_list,
)
from insights.views.imports import (
    import_detail,
    import_errors_csv,
    import_list,
    import_new,
    import_progress,
)
from insights.views.themes import (
    theme_analysis_run,
    theme_analysis_status,
    theme_detail,
    theme_dismiss,
    theme_feedback_move,
    theme_list,
    theme_map,
    theme_merge,
    theme_rename,
    theme_restore,
    theme_split,
)

__all__ = [
    "churn_at_risk",
    "churn_at_risk_csv",
    "churn_model",
    "churn_retrain",
    "customer_detail",
    "customer_list",
    "feedback_list",
    "import_detail",
    "import_errors_csv",
    "import_list",
    "import_new",
    "import_progress",
    "theme_analysis_run",
    "theme_analysis_status",
    "theme_detail",
    "theme_dismiss",
    "theme_feedback_move",
    "theme_list",
    "theme_map",
    "theme_merge",
    "theme_rename",
    "theme_restore",
    "theme_split",
]
