from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunicationConfig(AppConfig):
    name = "cordee.communication"
    label = "communication"
    verbose_name = _("Communication")

    def ready(self):
        # Receivers import models: Django allows that only once the apps are loaded, hence here.
        from cordee.communication import receivers
        from cordee.communication.services import calls, previews, ritual_videos, rituals_calendar
        from cordee.missions import signals as missions

        missions.mission_activated.connect(receivers.kickoff_on_activation, dispatch_uid="kickoff")
        missions.weekly_call_ended.connect(receivers.weekly_call_stop, dispatch_uid="weekly_call_stop")
        missions.member_calendar_events.connect(receivers.calls_in_member_feed, dispatch_uid="calls_in_feed")
        previews.preview_register(previews.OWN_KINDS)
        previews.preview_register(calls.email_previews())
        previews.preview_register(rituals_calendar.email_previews())
        previews.preview_register(ritual_videos.email_previews())
