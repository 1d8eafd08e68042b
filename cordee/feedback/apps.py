from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "cordee.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self):
        # Receivers import models: Django allows that only once the apps are loaded, hence here.
        from cordee.communication.services.previews import preview_register
        from cordee.feedback import receivers
        from cordee.feedback.services import follow_up, plans, surveys
        from cordee.missions import signals as missions

        missions.deliverable_accepted.connect(
            receivers.survey_on_acceptance, dispatch_uid="survey_on_acceptance"
        )
        preview_register(surveys.email_previews())
        preview_register(follow_up.email_previews())
        preview_register(plans.email_previews())
