"""What happens in the lower apps becomes webhook events: each receiver reads a row the app saved."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from cordee.api.models import WebhookEndpoint
from cordee.api.services.webhooks import webhook_event_emit
from cordee.api.tasks import deliveries_enqueue
from cordee.feedback.models import SurveyResponse
from cordee.missions.models import MissionEvent
from cordee.opportunities.models import Opportunity

Event = WebhookEndpoint.Event

MISSION_EVENTS = {
    MissionEvent.Kind.ACTIVATED: Event.MISSION_ACTIVATED,
    MissionEvent.Kind.DELIVERABLE_DELIVERED: Event.DELIVERABLE_DELIVERED,
    MissionEvent.Kind.DELAY_NOTICE: Event.DELAY_NOTICE_SENT,
}


def _emit_on_commit(*, collective_id: int, event_type: str, message_id: str, data: dict) -> None:
    def emit():
        with transaction.atomic():
            deliveries_enqueue(
                webhook_event_emit(
                    collective_id=collective_id, event_type=event_type, message_id=message_id, data=data
                )
            )

    transaction.on_commit(emit)


@receiver(post_save, sender=MissionEvent, dispatch_uid="api-webhooks-mission-event")
def mission_event_saved(sender, instance: MissionEvent, created: bool, **kwargs):
    event_type = MISSION_EVENTS.get(instance.kind)
    if not created or event_type is None:
        return
    _emit_on_commit(
        collective_id=instance.collective_id,
        event_type=event_type,
        message_id=f"msg_mission_event_{instance.pk}",
        data={"mission_id": instance.mission_id, "summary": instance.summary, **instance.data},
    )


@receiver(post_save, sender=Opportunity, dispatch_uid="api-webhooks-opportunity")
def opportunity_saved(sender, instance: Opportunity, created: bool, **kwargs):
    if not created:
        return
    _emit_on_commit(
        collective_id=instance.collective_id,
        event_type=Event.OPPORTUNITY_RECEIVED,
        message_id=f"msg_opportunity_{instance.pk}",
        data={
            "opportunity_id": instance.pk,
            "source": instance.source,
            "company": instance.company,
            "contact_name": instance.contact_name,
            "contact_email": instance.contact_email,
        },
    )


@receiver(post_save, sender=SurveyResponse, dispatch_uid="api-webhooks-survey-response")
def survey_response_saved(sender, instance: SurveyResponse, created: bool, **kwargs):
    if not created:
        return
    _emit_on_commit(
        collective_id=instance.collective_id,
        event_type=Event.SURVEY_ANSWERED,
        message_id=f"msg_survey_response_{instance.pk}",
        data={"survey_id": instance.survey_id, "response_id": instance.pk, "score": instance.score},
    )
