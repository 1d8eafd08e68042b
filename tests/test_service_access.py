"""One access rule inside every service: a walk over every public function of every services module.

Each public function of `cordee/*/services.py` and `cordee/*/services/*.py` is classified here:

- it changes state on a member's behalf: it has a call recipe below, and the walk calls it as an outsider
  (an admin of another collective) and, when only the lead, an admin or an author may act, as a plain
  member of the collective on the mission's team. Each call must raise `AccessDenied` and change nothing
  in the database. The allowed actor's call must pass the check (it may still refuse for a business rule);
- or it is listed with the reason it needs no member check: read-only, a system path (periodic jobs and
  steps of a checked service), an actor who is not a member (a client contact or a visitor holding a
  token), or the signed-in user acting on their own account.

A new public service function that is in none of these lists fails `test_every_public_service_is_classified`.
"""

import contextlib
import datetime as dt
import importlib
import inspect
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from cordee.api.models import AccessToken, WebhookDelivery, WebhookEndpoint
from cordee.api.services import tokens, webhooks
from cordee.billing.models import (
    BankStatement,
    BillingMandate,
    BillingPlan,
    ClientCredit,
    Invoice,
    InvoiceBatch,
    InvoiceLine,
    LegalSeller,
    NumberSeries,
    Payment,
    PayoutBatch,
    Quote,
    ReminderLadder,
    ReminderLevel,
    RevenueSplit,
    SplitShare,
    StatementLine,
)
from cordee.billing.services import credits as billing_credits
from cordee.billing.services import exports, invoices, payouts, quotes, reports, sellers, splits
from cordee.billing.services import payments as billing_payments
from cordee.billing.services import plans as billing_plans
from cordee.billing.services import reminders as billing_reminders
from cordee.billing.services import statements as billing_statements
from cordee.clients import services as clients
from cordee.collectives import services as collectives
from cordee.communication.models import DeliveryCall, Recap
from cordee.communication.services import calls, events, kickoff, recaps, ritual_videos, rituals_calendar
from cordee.communication.tests.rituals_factories import CollectiveEventFactory
from cordee.core.access import AccessDenied
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import (
    AdminMembershipFactory,
    MembershipFactory,
    OpportunityFactory,
    ReferenceFactory,
)
from cordee.feedback.models import FollowUpCall, ImprovementPlan, Initiative, Survey, SurveyResponse
from cordee.feedback.services import follow_up, plans
from cordee.invitations import services as invitations
from cordee.invitations.services import InvitationError
from cordee.invitations.tests.factories import InvitationFactory
from cordee.missions.models import Deliverable, Mission, Task
from cordee.missions.services import deliverables, missions, requests, tasks
from cordee.missions.tests.factories import (
    ClientContactFactory,
    ClientRequestFactory,
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
    TimeEntryFactory,
)
from cordee.opportunities import services as opportunities
from cordee.portal import services as portal
from cordee.timesheets import services as timesheets

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

# --- What needs no member check, and why --------------------------------------------------------------

READ_ONLY = {
    "api.services.webhooks.url_problem": "a check of an address, before a member's endpoint is saved",
    "api.services.billing.issued_invoices": "read, through billing's reading rule (billing/access.py)",
    "api.services.billing.issued_invoice_detail": "read, through billing's reading rule (billing/access.py)",
    "api.services.billing.issued_invoice_files": "read, through billing's reading rule (billing/access.py)",
    "api.services.billing.sent_quotes": "read, through billing's reading rule (billing/access.py)",
    "api.services.billing.recorded_payments": "read, through billing's reading rule (billing/access.py)",
    "api.services.billing.proposed_splits": "read, through billing's reading rule (billing/access.py)",
    "missions.services.health.deliverable_health_deferred": "a pure computation of a health sentence",
    "accounts.services.country_codes": "constant",
    "accounts.services.profile_values_clean": "validation of form values",
    "clients.services.contact_has_history": "read",
    "clients.services.siren_clean": "validation",
    "clients.services.siret_clean": "validation",
    "clients.services.vat_number_clean": "validation",
    "collectives.services.collective_slug_alternative": "read",
    "collectives.services.collective_slug_check": "validation",
    "collectives.services.collective_slug_suggest": "pure",
    "communication.services.calls.attendees_of": "pure",
    "communication.services.calls.call_attendees": "read",
    "communication.services.calls.call_feed_event": "calendar entry for a feed",
    "communication.services.calls.call_summary": "pure",
    "communication.services.calls.calls_with_attendees": "read",
    "communication.services.calls.contact_choices": "read",
    "communication.services.calls.deliverable_calls": "read",
    "communication.services.calls.delivery_call_calendar": "ics bytes",
    "communication.services.calls.delivery_call_email_context": "email context",
    "communication.services.calls.delivery_call_file": "ics bytes",
    "communication.services.calls.email_previews": "preview list",
    "communication.services.calls.format_when": "pure",
    "communication.services.calls.local_time": "pure",
    "communication.services.calls.member_calls": "read, for the user given",
    "communication.services.calls.mission_calls": "read",
    "communication.services.calls.team_choices": "read",
    "communication.services.events.can_edit_event": "the rule for pages, for a membership already checked",
    "communication.services.events.cancelled_events": "read",
    "communication.services.events.clean_event_values": "validation",
    "communication.services.events.event_calendar_entry": "calendar entry",
    "communication.services.events.event_duration": "pure",
    "communication.services.events.event_feed_lookup": "read",
    "communication.services.events.event_feed_of": "read",
    "communication.services.events.event_occurrences": "pure",
    "communication.services.events.event_with_responses": "read",
    "communication.services.events.events_feed_ics": "ics bytes",
    "communication.services.events.events_feed_url": "pure",
    "communication.services.events.ics_rrule": "pure",
    "communication.services.events.invitations_were_sent": "read",
    "communication.services.events.next_occurrence": "pure",
    "communication.services.events.past_events": "read",
    "communication.services.events.recurrence_label": "pure",
    "communication.services.events.recurrence_label_in": "pure",
    "communication.services.events.response_summary": "read",
    "communication.services.events.series_end": "pure",
    "communication.services.events.upcoming_events": "read",
    "communication.services.events.upcoming_occurrences": "pure",
    "communication.services.kickoff.kickoff_context": "email context",
    "communication.services.kickoff.kickoff_email_context": "email context (preview)",
    "communication.services.kickoff.kickoff_key": "pure",
    "communication.services.kickoff.kickoff_pending_contacts": "read",
    "communication.services.kickoff.kickoff_recipients": "read",
    "communication.services.kickoff.kickoff_roadmap": "read",
    "communication.services.kickoff.kickoff_status": "read",
    "communication.services.kickoff.lazy_weekday_names": "pure",
    "communication.services.kickoff.portal_login_url": "pure",
    "communication.services.kickoff.ritual_terms": "pure",
    "communication.services.kickoff.weekday_names": "pure",
    "communication.services.previews.preview_kind": "pure",
    "communication.services.previews.preview_register": "registry of preview kinds, filled at start-up",
    "communication.services.rituals_calendar.email_previews": "preview list",
    "feedback.services.follow_up.email_previews": "preview list",
    "feedback.services.plans.email_previews": "preview list",
    "communication.services.previews.preview_kinds": "pure",
    "communication.services.previews.sample_contact": "an unsaved example contact",
    "communication.services.recaps.dates_sentences": "pure",
    "communication.services.recaps.deliverable_state_words": "pure",
    "communication.services.recaps.mission_activation": "read",
    "communication.services.recaps.quoted": "pure",
    "communication.services.recaps.recap_body": "pure",
    "communication.services.recaps.recap_body_blocks": "pure",
    "communication.services.recaps.recap_data_load": "read",
    "communication.services.recaps.recap_draft_hour": "pure",
    "communication.services.recaps.recap_due_slot": "pure",
    "communication.services.recaps.recap_email_context": "email context",
    "communication.services.recaps.recap_language": "pure",
    "communication.services.recaps.recap_next_slot": "pure",
    "communication.services.recaps.recap_period_start": "read",
    "communication.services.recaps.recap_preview_text": "read",
    "communication.services.recaps.recap_recipients": "read",
    "communication.services.recaps.recap_subject": "pure",
    "communication.services.recaps.recap_text": "pure",
    "communication.services.recaps.recaps_for_portal": "read",
    "communication.services.ritual_videos.clean_summary": "validation",
    "communication.services.ritual_videos.clean_video_link": "validation",
    "communication.services.ritual_videos.email_previews": "preview list",
    "communication.services.ritual_videos.postable_weeks": "read",
    "communication.services.ritual_videos.reminder_due_at": "pure",
    "communication.services.ritual_videos.reminder_key": "pure",
    "communication.services.ritual_videos.ritual_video_email_context": "email context",
    "communication.services.ritual_videos.ritual_videos_for_portal": "read",
    "communication.services.ritual_videos.ritual_videos_of": "read",
    "communication.services.ritual_videos.video_contacts": "read",
    "communication.services.ritual_videos.week_start_of": "pure",
    "communication.services.ritual_videos.week_status": "read",
    "communication.services.rituals_calendar.member_rituals": "read, for the user given",
    "communication.services.rituals_calendar.ritual_call_calendar": "ics bytes",
    "communication.services.rituals_calendar.ritual_call_email_context": "email context",
    "communication.services.rituals_calendar.ritual_call_event": "calendar entry",
    "communication.services.rituals_calendar.ritual_call_first_start": "pure",
    "communication.services.rituals_calendar.ritual_call_invited": "read",
    "communication.services.rituals_calendar.ritual_call_is_live": "pure",
    "communication.services.rituals_calendar.ritual_call_next": "pure",
    "communication.services.rituals_calendar.ritual_call_recipients": "read",
    "communication.services.rituals_calendar.ritual_call_summary": "read",
    "communication.services.rituals_calendar.ritual_feed_event": "calendar entry",
    "communication.services.rituals_calendar.ritual_of": "read",
    "feedback.services.analytics.attention_reasons": "pure",
    "feedback.services.analytics.average_score": "pure",
    "feedback.services.analytics.fold": "pure",
    "feedback.services.analytics.keywords": "pure",
    "feedback.services.analytics.missions_needing_attention": "pure",
    "feedback.services.analytics.nps": "pure",
    "feedback.services.analytics.nps_from_counts": "pure",
    "feedback.services.analytics.ranking_distribution": "pure",
    "feedback.services.analytics.recurring_themes": "pure",
    "feedback.services.analytics.response_rate": "pure",
    "feedback.services.analytics.scores_by_month": "pure",
    "feedback.services.analytics.singular": "pure",
    "feedback.services.analytics.trend": "pure",
    "feedback.services.follow_up.follow_up_by_token": "read",
    "feedback.services.follow_up.follow_up_calendar": "ics bytes",
    "feedback.services.follow_up.follow_up_reasons": "pure",
    "feedback.services.follow_up.lead_sender": "pure",
    "feedback.services.follow_up.pick_url": "pure",
    "feedback.services.follow_up.proposed_slots_for": "read",
    "feedback.services.follow_up.reason_labels": "pure",
    "feedback.services.follow_up.slot_datetimes": "pure",
    "feedback.services.plans.initiatives_for_survey_page": "read",
    "feedback.services.plans.plan_recipients": "read",
    "feedback.services.plans.survey_improvement_points": "read",
    "feedback.services.surveys.email_previews": "preview list",
    "feedback.services.surveys.invitation_for_token": "read",
    "feedback.services.surveys.invitation_token": "pure",
    "feedback.services.surveys.invitation_urls": "pure",
    "feedback.services.surveys.survey_due_dates": "pure",
    "feedback.services.surveys.survey_email_context": "email context",
    "feedback.services.surveys.survey_initiatives": "read",
    "feedback.services.surveys.survey_is_open": "pure",
    "feedback.services.surveys.survey_latest_due_date": "read",
    "feedback.services.surveys.survey_open_days": "constant",
    "feedback.services.surveys.survey_recipients": "read",
    "feedback.services.surveys.survey_reminders_due": "read",
    "invitations.services.invitation_accept_url": "pure",
    "invitations.services.invitation_validity": "constant",
    "missions.services.calendar_feed.calendar_feed_ics": "ics bytes of the user given",
    "missions.services.calendar_feed.calendar_feed_owner": "read",
    "missions.services.calendar_feed.calendar_feed_url": "pure",
    "missions.services.deliverables.automatic_announced_date": "pure",
    "missions.services.deliverables.delay_notice_email_context": "email context",
    "missions.services.deliverables.delay_notice_recipients": "read",
    "missions.services.deliverables.delay_notice_terms": "pure",
    "missions.services.deliverables.margin_business_days_of": "read",
    "missions.services.deliverables.on_time_rate": "pure",
    "missions.services.health.business_days_from_today": "pure",
    "missions.services.health.deliverable_health": "pure",
    "missions.services.health.deliverables_health": "read",
    "missions.services.health.deliverables_health_inputs": "read",
    "missions.services.missions.mission_defaults": "pure",
    "missions.services.tasks.digest_cutoff": "pure",
    "missions.services.tasks.open_load_by_user": "read",
    "missions.services.tasks.role_key": "pure",
    "missions.services.tasks.task_actor": "the rights of a user (refuses outsiders itself)",
    "missions.services.tasks.task_actor_for": "the rights, from what a page already checked",
    "missions.services.tasks.task_role_holder": "read",
    "missions.services.tasks.task_role_holders": "read",
    "portal.services.contact_current_mission": "read",
    "portal.services.email_previews": "preview list",
    "portal.services.link_validity": "constant",
    "portal.services.magic_link_email_context": "email context",
    "portal.services.portal_access_is_revoked": "read",
    "portal.services.portal_link_find": "read",
    "portal.services.portal_login_url": "pure",
    "portal.services.portal_magic_url": "pure",
    "portal.services.refusal_reason": "pure",
    "portal.services.session_validity": "constant",
    "timesheets.services.can_change_entry": "the rule of time_entry_for, for pages",
    "timesheets.services.hours_errors": "validation",
    "timesheets.services.is_team_member": "read",
    "timesheets.services.week_cells": "read, for the user given",
    "billing.services.exports.export_job_for": "read: an export, for the member who asked for it (checked)",
    "billing.services.exports.export_jobs": "read: the member's own exports",
    "billing.services.exports.export_sellers": "read",
    "billing.services.exports.invoices_csv": "builds an export job's file, saves nothing",
    "billing.services.exports.invoices_header": "pure",
    "billing.services.exports.journal_entries": "read: the entries of an export job's journal",
    "billing.services.exports.journal_file": "builds an export job's file, saves nothing",
    "billing.services.exports.member_receipts": "read: the rows of an export job's receipts book",
    "billing.services.exports.receipts_csv": "builds an export job's file, saves nothing",
    "billing.services.exports.receipts_pdf": "builds an export job's file, saves nothing",
    "billing.services.payouts.member_holder": "pure",
    "billing.services.payouts.member_statement": "read, for the member or an admin (checked inside)",
    "billing.services.payouts.owed_by_seller": "read, for a seller a page or a checked service resolved",
    "billing.services.payouts.payout_batch_file": "read: the stored file, for the seller's admin (checked inside)",
    "billing.services.payouts.payout_sellers": "read",
    "billing.services.payouts.seller_admin_for": "the access function of a seller's account and books",
    "billing.services.previews.email_previews": "preview list",
    "billing.services.payment_previews.email_previews": "preview list",
    "billing.services.credits.available_credits": "read",
    "billing.services.credits.credit_accounts": "read, for the sellers a page resolved",
    "billing.services.payments.can_record_payments": "the rule of invoice_for_payment, for a membership already checked",
    "billing.services.payments.invoice_balance": "pure",
    "billing.services.payments.invoice_for_payment": "the access function of payments (refuses outsiders itself)",
    "billing.services.payments.payment_status_for": "pure",
    "billing.services.payments.seller_account_for": "the access function of a seller's bank account",
    "billing.services.reminders.default_levels": "constant",
    "billing.services.reminders.ladder_levels": "read",
    "billing.services.reminders.nearest_level": "pure",
    "billing.services.reminders.reminder_context": "email context",
    "billing.services.reminders.reminder_lines": "pure",
    "billing.services.reminders.reminder_recipients": "read",
    "billing.services.reminders.reminders_due": "read",
    "billing.services.statements.compact_iban": "pure",
    "billing.services.statements.normalized": "pure",
    "billing.services.statements.open_invoices": "read",
    "billing.services.statements.statement_parse": "pure: reads the bytes given",
    "billing.services.statements.statements_recent": "read",
    "billing.services.statements.suggestion_for": "pure",
    "billing.services.plans.approved_overage_days": "read",
    "billing.services.plans.billable_days_limit": "read",
    "billing.services.plans.bonus_amount": "pure",
    "billing.services.plans.consumed_days": "read",
    "billing.services.plans.invoicing_consequences": "read: sentences shown before a plan is saved",
    "billing.services.plans.mission_consumed_days": "read",
    "billing.services.quotes.portal_quote": "read, limited to the contact's own client",
    "billing.services.quotes.quote_lines": "read: the lines of a plan",
    "billing.services.quotes.quote_pdf": "renders the PDF bytes of a quote, saves nothing",
    "billing.services.quotes.quote_pdf_context": "pure",
    "billing.services.quotes.quote_totals": "pure",
    "billing.services.reports.period_label": "pure",
    "billing.services.reports.report_days_and_rate": "pure",
    "billing.services.reports.portal_report": "read, limited to the contact's own client",
    "billing.services.sellers.client_billing_address_missing": "pure",
    "billing.services.sellers.client_identity": "pure: the snapshot of a client",
    "billing.services.sellers.client_email": "read: the email a client's snapshot carries as its address",
    "billing.services.sellers.member_checklist": "pure",
    "billing.services.sellers.name_initials": "pure: the initials in a member's series prefixes",
    "billing.services.sellers.seller_checklist": "pure",
    "billing.services.sellers.seller_identity": "pure: the snapshot of a seller",
    "billing.services.sellers.seller_missing": "pure",
    "billing.services.invoices.active_mandate": "read",
    "billing.services.invoices.credited_excl_tax": "read",
    "billing.services.invoices.deposit_deduction": "pure: what an invoice deducts of a deposit",
    "billing.services.invoices.due_date": "pure",
    "billing.services.invoices.invoice_filename": "pure",
    "billing.services.invoices.invoice_missing_mentions": "pure: the mentions an invoice would lack",
    "billing.services.invoices.invoice_pdf_checked": "read: the stored PDF, after its SHA-256 check",
    "billing.services.invoices.invoice_xml_checked": "read: the stored XML, after its SHA-256 check",
    "billing.services.invoices.line_vat": "pure",
    "billing.services.invoices.portal_batch": "read, limited to the contact's own client",
    "billing.services.invoices.portal_invoice": "read, limited to the contact's own client",
    "billing.services.invoices.portal_invoices": "read, limited to the contact's own client",
    "billing.services.invoices.series_gap_report": "read (the operator's admin)",
    "billing.services.invoices.tax_breakdown": "pure",
    "billing.services.revenue.member_threshold_warnings": "read",
    "billing.services.revenue.member_year_revenue": "read",
    "billing.services.revenue.members_year_revenue": "read",
    "billing.services.revenue.split_threshold_warnings": "read: warnings shown before a split binds",
    "billing.services.splits.approved_split_for": "read: the invoicing services check their own access",
    "billing.services.splits.split_basis": "read, for a mission a page already checked",
    "billing.services.splits.split_decisions": "read",
    "billing.services.splits.split_initial_percents": "pure",
    "billing.services.splits.split_is_invoiced": "read",
    "billing.services.splits.split_member_ids": "read",
    "billing.services.splits.split_preview": "computes shares and saves nothing (any member of the mission)",
    "billing.services.splits.split_source_for": "read, for a mission a page already checked",
    "billing.services.splits.split_sources": "read, for a mission a page already checked",
    "billing.services.splits.deposit_title": "pure",
}

# Named system paths: periodic jobs (no user acts) and steps that only checked services call.
SYSTEM = {
    "communication.services.recaps.recap_auto_send": "periodic job: one mission of the handed-out recaps batch",
    "communication.services.recaps.recap_slot_draft": "periodic job: one mission of the handed-out recaps batch",
    "communication.services.recaps.recaps_auto_send_due": "periodic job: finds the untouched drafts due",
    "communication.services.recaps.recaps_due": "periodic job: finds the missions whose recap is due",
    "communication.services.ritual_videos.ritual_video_reminder_send": "periodic job: one mission of the batch",
    "communication.services.ritual_videos.ritual_video_reminders_due": "periodic job: finds the missions due",
    "feedback.services.surveys.survey_reminder_send": "periodic job: one invitation of the batch",
    "feedback.services.surveys.survey_reminders_due_ids": "periodic job: finds the reminders due",
    "feedback.services.surveys.survey_scheduled_round_open": "periodic job: one mission of the batch",
    "feedback.services.surveys.surveys_due": "periodic job: finds the missions whose round is due",
    "missions.services.health.deliverables_health_chunks": "periodic job: splits the deliverables into batches",
    "missions.services.health.deliverables_health_refresh_ids": "periodic job: one batch of deliverables",
    "missions.services.tasks.task_assignment_digest_recipients": "periodic job: finds the recipients due",
    "missions.services.tasks.task_assignment_digest_send": "periodic job: one recipient of the batch",
    "api.services.webhooks.webhook_deliver": "the worker sending a claimed delivery",
    "api.services.webhooks.webhook_event_emit": (
        "reaction to a saved history row, opportunity or survey answer, or a billing transition's signal"
    ),
    "api.services.webhooks.webhooks_tick": "periodic job",
    "communication.services.events.event_invitations_send": "step of collective_event_create/update",
    "communication.services.kickoff.portal_url_for": "step of kickoff_send (a portal link for its email)",
    "communication.services.recaps.recap_draft": "the schedule's draft; members go through recap_create_now",
    "communication.services.recaps.recap_send_automatic": "the schedule's sending of an untouched draft",
    "communication.services.recaps.recaps_auto_send_run": "periodic job",
    "communication.services.recaps.recaps_schedule_run": "periodic job",
    "communication.services.recaps.recaps_tick": "periodic job",
    "communication.services.ritual_videos.ritual_video_reminders_send": "periodic job",
    "feedback.services.follow_up.follow_up_check": "step of survey_answer and response_mark_unclear",
    "feedback.services.surveys.survey_after_acceptance": "reaction to a deliverable accepted (checked)",
    "feedback.services.surveys.survey_reminders_run": "periodic job",
    "feedback.services.surveys.survey_round_open": "step of the periodic job and of survey_after_acceptance",
    "feedback.services.surveys.surveys_schedule_run": "periodic job",
    "feedback.services.surveys.surveys_tick": "periodic job",
    "missions.services.health.deliverables_health_refresh": "periodic job",
    "missions.services.health.deliverables_health_store": "step of the checked deliverable services",
    "missions.services.history.mission_event_record": "step of the checked mission services",
    "missions.services.tasks.client_request_sync_status": "step of the checked task services",
    "missions.services.tasks.task_assignment_digests_send": "periodic job",
    "opportunities.services.opportunity_create_from_proposal": "public page's proposal form (rate-limited)",
    "portal.services.portal_access_revoke_by_operator": "the platform operator, from the Django admin",
    "portal.services.portal_link_create": "step of portal_link_for (emails built by checked services)",
    "portal.services.portal_link_for": "step of kickoff and recaps emails (checked services)",
    "timesheets.services.time_entries_lock": "step of invoicing, which checks its own access",
    "billing.services.links.portal_link_to": "step of the billing emails built by checked services",
    "billing.services.links.client_email_enqueue": "step of the billing emails sent by checked services",
    "billing.services.plans.cap_alerts_send": "periodic job",
    "billing.services.payments.invoice_paid_refresh": "step of the checked payment and credit-note services",
    "billing.services.payments.payout_payments_record": "step of payout_batch_mark_paid (checked there)",
    "billing.services.reminders.reminder_send": "step of the periodic reminders job",
    "billing.services.statements.statement_import": "worker task of statement_upload (checked)",
    "billing.services.splits.split_reminders_send": "periodic job",
    "billing.services.sellers.number_issue": "step of quote_send (checked), inside its transaction",
    "billing.services.invoices.invoice_render_files": "step of invoice_issue (checked), inside its transaction",
    "billing.services.exports.export_run": "the worker building an export that export_request (checked) queued",
}

# The actor is not a member: a client contact in their portal session or holding an emailed token.
NOT_A_MEMBER = {
    "api.services.tokens.access_token_authenticate": "the holder of an API token (its owner's membership read anew)",
    "feedback.services.follow_up.follow_up_pick": "the contact, by the token of their follow-up email",
    "feedback.services.surveys.feedback_opt_out": "the contact, by the token of their survey email",
    "feedback.services.surveys.survey_answer": "the contact, by the token of their survey invitation",
    "invitations.services.invitation_accept": "the invited person, by the token of their invitation",
    "missions.services.requests.client_request_from_portal": "the contact in their portal session",
    "portal.services.portal_access_request": "anyone typing an address on the portal's sign-in page",
    "portal.services.portal_contact_language_set": "the contact in their portal session",
    "portal.services.portal_link_consume": "the holder of a magic link",
    "portal.services.portal_request_send": "the contact in their portal session",
    "portal.services.portal_session_end": "the contact in their portal session",
    "billing.services.plans.overage_answer": "the contact in their portal session (their client's plans only)",
    "billing.services.quotes.quote_accept": "the contact in their portal session (their client's quotes only)",
    "billing.services.quotes.quote_decline": "the contact in their portal session (their client's quotes only)",
    "billing.services.reports.activity_report_dispute": "the contact in their portal session (their reports)",
    "billing.services.reports.activity_report_validate": "the contact in their portal session (their reports)",
}

# The signed-in user acting on their own account or rows only (views pass `request.user`).
OWN_ACCOUNT = {
    "accounts.services.user_profile_update": "the user's own profile",
    "collectives.services.collective_create": "a new collective, whose creator becomes its admin",
    "collectives.services.membership_leave": "the user's own membership",
    "communication.services.events.event_feed_revoke": "the user's own feed token",
    "missions.services.calendar_feed.calendar_feed_create": "the user's own feed token",
    "missions.services.calendar_feed.calendar_feed_revoke": "the user's own feed token",
}


# --- The world the recipes act on ---------------------------------------------------------------------


@dataclass
class World:
    collective: object
    admin: object  # a user: admin of the collective
    lead: object  # a plain member who leads the mission
    member: object  # a plain member on the mission's team
    outsider: object  # an admin of another collective
    mission: Mission
    deliverable: Deliverable
    task: Task
    objects: dict


@pytest.fixture
def world():
    admin_membership = AdminMembershipFactory()
    collective = admin_membership.collective
    lead = MembershipFactory(collective=collective).user
    member_membership = MembershipFactory(collective=collective)
    member = member_membership.user
    outsider_membership = AdminMembershipFactory()
    MissionFactory(collective=outsider_membership.collective, lead=outsider_membership.user)
    mission = MissionFactory(collective=collective, lead=lead, ritual_kind=Mission.RitualKind.ASYNC_VIDEO)
    MissionMemberFactory(mission=mission, user=member)
    contact = ClientContactFactory(client=mission.client)
    deliverable = DeliverableFactory(mission=mission)
    task = TaskFactory(mission=mission, assignee=member)
    now = timezone.now()
    survey = Survey.objects.create(collective=collective, mission=mission, due_date=now.date(), sent_at=now)
    response = SurveyResponse.objects.create(
        collective=collective,
        survey=survey,
        contact=contact,
        score=6,
        ranking="top25",
        improvements=["Délais"],
    )
    plan = ImprovementPlan.objects.create(collective=collective, mission=mission, survey=survey)
    newcomer = MembershipFactory(collective=collective)
    objects = {
        "memberships": {
            m.user_id: m for m in (admin_membership, member_membership, outsider_membership, newcomer)
        }
        | {lead.pk: lead.memberships.get()},
        "newcomer": newcomer.user,
        "failed_email": OutboundEmail.objects.create(
            collective=collective,
            idempotency_key="walk:failed",
            to_email="paul@client.fr",
            from_email="noreply@cordee.localhost",
            subject="Point",
            body_text="Texte",
            state=OutboundEmail.State.FAILED,
        ),
        "admin_membership": admin_membership,
        "member_membership": member_membership,
        "outsider_membership": outsider_membership,
        "contact": contact,
        "request": ClientRequestFactory(mission=mission),
        "entry": TimeEntryFactory(mission=mission, user=lead),
        "opportunity": OpportunityFactory(collective=collective),
        "reference": ReferenceFactory(collective=collective),
        "invitation": InvitationFactory(collective=collective),
        "recap": Recap.objects.create(
            collective=collective, mission=mission, period_start=now, subject="Point", body="Tout va bien"
        ),
        "call": DeliveryCall.objects.create(
            collective=collective,
            mission=mission,
            deliverable=deliverable,
            starts_at=now + dt.timedelta(days=10),
            organizer=lead,
        ),
        "event": CollectiveEventFactory(
            collective=collective, created_by=lead, starts_at=now + dt.timedelta(days=3)
        ),
        "survey": survey,
        "response": response,
        "follow_up": FollowUpCall.objects.create(
            collective=collective, response=response, token_hash="e" * 64
        ),
        "plan": plan,
        "initiative": Initiative.objects.create(
            collective=collective, plan=plan, what="Démo", due_date=now.date(), owner=lead
        ),
    }
    return World(
        collective=collective,
        admin=admin_membership.user,
        lead=lead,
        member=member,
        outsider=outsider_membership.user,
        mission=mission,
        deliverable=deliverable,
        task=task,
        objects=objects,
    )


def membership_of(w: World, user):
    """The acting membership, as the page loaded it (it may have been deleted since)."""
    return w.objects["memberships"][user.pk]


def later(days=10):
    return timezone.localdate() + dt.timedelta(days=days)


# --- Recipes: who may, and how to call -----------------------------------------------------------------

MEMBER, MANAGER, ADMIN, AUTHOR = "any member", "lead or admin", "admin", "author, lead or admin"
TEAM, SELF_SERVICE = "the mission's team", "the mission's team, in self-service mode"


@dataclass(frozen=True)
class Recipe:
    may: str  # who may act; everyone else is refused
    call: object  # (world, user) -> the call
    prepare: object = None  # (world) -> None: data the call needs, set up before the database is compared


def _given_to_lead(w: World) -> None:
    Task.objects.filter(pk=w.task.pk).update(assignee=w.lead)
    w.task.refresh_from_db()


def _unassigned(w: World) -> None:
    Task.objects.filter(pk=w.task.pk).update(assignee=None)
    w.task.refresh_from_db()


def _self_service(w: World) -> None:
    Mission.objects.filter(pk=w.mission.pk).update(assignment_mode=Mission.AssignmentMode.SELF_SERVICE)
    w.mission.refresh_from_db()


def _initiatives(w):
    return [
        plans.InitiativeData(
            what="Appeler le client", improvement_point="Délais", owner=w.lead, due_date=later()
        )
    ]


def _lead_token(w: World) -> None:
    w.objects["token"] = AccessToken.objects.create(
        collective=w.collective, user=w.lead, name="Zap", token_hash="t" * 64, prefix="cordee_tttttt"
    )


def _webhook_delivery(w: World) -> None:
    endpoint = WebhookEndpoint.objects.create(
        collective=w.collective,
        url="https://93.184.215.14/hook",
        events=["mission.activated"],
        secret="whsec_x",
    )
    w.objects["endpoint"] = endpoint
    w.objects["delivery"] = WebhookDelivery.objects.create(
        collective=w.collective,
        endpoint=endpoint,
        message_id="msg_walk",
        event_type="mission.activated",
        payload={},
        state=WebhookDelivery.State.FAILED,
    )


def _entity_seller(w: World) -> None:
    seller = LegalSeller.objects.create(
        collective=w.collective, kind=LegalSeller.Kind.ENTITY, name="Cordée SCOP"
    )
    NumberSeries.objects.create(
        collective=w.collective, seller=seller, document_type=NumberSeries.DocumentType.QUOTE, prefix="DEV"
    )
    w.objects["entity_seller"] = seller


def _payout_batch(w: World) -> None:
    """A draft payout batch from the collective's entity's account."""
    _entity_seller(w)
    w.objects["payout_batch"] = PayoutBatch.objects.create(
        collective=w.collective, seller=w.objects["entity_seller"], execution_date=later(), created_by=w.admin
    )


def _issued_invoice(w: World) -> None:
    """An issued invoice of the lead's business in a batch of the mission."""
    seller, _created = LegalSeller.objects.get_or_create(
        collective=w.collective, kind=LegalSeller.Kind.MEMBER, user=w.lead
    )
    plan = BillingPlan.objects.create(
        collective=w.collective,
        mission=w.mission,
        version=1,
        status=BillingPlan.Status.ACTIVE,
        model=BillingPlan.Model.MILESTONE,
        seller=seller,
    )
    batch = InvoiceBatch.objects.create(
        collective=w.collective, mission=w.mission, plan=plan, label="Livraison"
    )
    w.objects["invoice"] = Invoice.objects.create(
        collective=w.collective,
        plan=plan,
        seller=seller,
        client=w.mission.client,
        mission=w.mission,
        batch=batch,
        number="CM-2026-00001",
        issued_on=timezone.localdate() - dt.timedelta(days=40),
        due_on=timezone.localdate() - dt.timedelta(days=10),
        status=Invoice.Status.ISSUED,
        document_type="380",
        seller_snapshot={"late_penalty_rate": "10.15"},
        total_incl_tax=Decimal("1200.00"),
    )


def _invoice_payment(w: World) -> None:
    _issued_invoice(w)
    invoice = w.objects["invoice"]
    w.objects["payment"] = Payment.objects.create(
        collective=w.collective, invoice=invoice, paid_on=timezone.localdate(), amount=Decimal("100.00")
    )
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=Decimal("100.00"), payment_status="partly_paid")


def _client_credit(w: World) -> None:
    """The client paid 1 300 € on the lead's 1 200 € invoice: 100 € of credit; a second invoice is open."""
    _invoice_payment(w)
    invoice = w.objects["invoice"]
    Payment.objects.filter(pk=w.objects["payment"].pk).update(amount=Decimal("1300.00"))
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=Decimal("1300.00"), payment_status="overpaid")
    ClientCredit.objects.create(
        collective=w.collective,
        client=w.mission.client,
        seller=invoice.seller,
        payment=w.objects["payment"],
        amount=Decimal("100.00"),
    )
    w.objects["open_invoice"] = Invoice.objects.create(
        collective=w.collective,
        plan=invoice.plan,
        seller=invoice.seller,
        client=w.mission.client,
        mission=w.mission,
        batch=invoice.batch,
        number="CM-2026-00002",
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        status=Invoice.Status.ISSUED,
        document_type="380",
        total_incl_tax=Decimal("500.00"),
    )


def _statement_line(w: World) -> None:
    _issued_invoice(w)
    invoice = w.objects["invoice"]
    statement = BankStatement.objects.create(
        collective=w.collective,
        seller=invoice.seller,
        format="camt053",
        filename="s.xml",
        sha256="a" * 64,
        content=b"<x/>",
        status=BankStatement.Status.DONE,
    )
    w.objects["line"] = StatementLine.objects.create(
        collective=w.collective,
        seller=invoice.seller,
        statement=statement,
        line_key="k" * 64,
        booking_date=timezone.localdate(),
        amount=Decimal("1200.00"),
        reference="CM-2026-00001",
        suggested_invoice=invoice,
        status=StatementLine.Status.SUGGESTED,
    )


def _reminder_level(w: World) -> None:
    ladder = ReminderLadder.objects.create(collective=w.collective)
    w.objects["level"] = ReminderLevel.objects.create(
        collective=w.collective, ladder=ladder, offset_days=7, text_fr="Relance", text_en="Reminder"
    )


def _billing_plan(w: World, status=BillingPlan.Status.DRAFT) -> BillingPlan:
    """A pay-as-you-go plan with a cap and a bonus, sold by the lead's business."""
    seller = LegalSeller.objects.create(collective=w.collective, kind=LegalSeller.Kind.MEMBER, user=w.lead)
    plan = BillingPlan.objects.create(
        collective=w.collective,
        mission=w.mission,
        version=1,
        status=status,
        model=BillingPlan.Model.PAY_AS_YOU_GO,
        seller=seller,
        mission_day_rate=Decimal("600"),
        cap_days=Decimal("20"),
        bonus_kind=BillingPlan.BonusKind.AMOUNT,
        bonus_kpi="Taux de conversion",
        bonus_target="3 %",
        bonus_value=Decimal("1000"),
        created_by=w.lead,
    )
    w.objects["billing_plan"] = plan
    return plan


def _active_plan(w: World) -> None:
    _billing_plan(w, status=BillingPlan.Status.ACTIVE)


def _quote(w: World, status=Quote.Status.DRAFT) -> None:
    plan = _billing_plan(
        w, status=BillingPlan.Status.DRAFT if status == Quote.Status.DRAFT else BillingPlan.Status.PROPOSED
    )
    w.objects["quote"] = Quote.objects.create(
        collective=w.collective,
        mission=w.mission,
        plan=plan,
        seller=plan.seller,
        status=status,
        valid_until=later(30),
        created_by=w.lead,
    )


def _sent_quote(w: World) -> None:
    _quote(w, status=Quote.Status.SENT)


def _lead_draft_invoice(w: World, status=Invoice.Status.DRAFT) -> None:
    """A draft invoice of the lead's business to the client (issued: then numbered)."""
    _active_plan(w)
    plan = w.objects["billing_plan"]
    batch = InvoiceBatch.objects.create(
        collective=w.collective, mission=w.mission, plan=plan, label="Livrable"
    )
    invoice = Invoice.objects.create(
        collective=w.collective,
        mission=w.mission,
        plan=plan,
        batch=batch,
        seller=plan.seller,
        client=w.mission.client,
        supplied_on=timezone.localdate(),
        total_excl_tax=Decimal("1000.00"),
        total_incl_tax=Decimal("1000.00"),
    )
    InvoiceLine.objects.create(
        collective=w.collective,
        invoice=invoice,
        description="Livrable",
        quantity=Decimal("1"),
        unit_price=Decimal("1000"),
        vat_category="E",
        net_amount=Decimal("1000.00"),
    )
    if status != Invoice.Status.DRAFT:
        Invoice.objects.filter(pk=invoice.pk).update(
            status=status, number="FAC-2026-00001", issued_on=timezone.localdate()
        )
        invoice.refresh_from_db()
    w.objects["invoice"], w.objects["invoice_batch"] = invoice, batch


def _lead_issued_invoice(w: World) -> None:
    _lead_draft_invoice(w, status=Invoice.Status.ISSUED)


def _lead_mandate(w: World) -> None:
    """The lead's mandate for the member's business to issue the lead's invoices."""
    lead_seller = LegalSeller.objects.create(
        collective=w.collective, kind=LegalSeller.Kind.MEMBER, user=w.lead
    )
    member_seller = LegalSeller.objects.create(
        collective=w.collective, kind=LegalSeller.Kind.MEMBER, user=w.member
    )
    w.objects["mandate"] = BillingMandate.objects.create(
        collective=w.collective,
        seller=lead_seller,
        issuer=member_seller,
        signed_on=timezone.localdate(),
        scope="Factures",
    )
    w.objects["member_seller"] = member_seller


def _draft_report(w: World) -> None:
    """A draft report of the last week (the world's time is logged today), drafted by the admin: the lead
    may have left the collective already."""
    _active_plan(w)
    w.objects["report"] = reports.activity_report_draft(
        by=w.admin,
        mission_id=w.mission.pk,
        period_start=timezone.localdate() - dt.timedelta(days=7),
        period_end=timezone.localdate(),
    )


def _split_source(w: World) -> None:
    """An active milestone plan whose deliverable is delivered: an amount to split."""
    seller = LegalSeller.objects.create(collective=w.collective, kind=LegalSeller.Kind.MEMBER, user=w.lead)
    plan = BillingPlan.objects.create(
        collective=w.collective,
        mission=w.mission,
        version=1,
        status=BillingPlan.Status.ACTIVE,
        model=BillingPlan.Model.MILESTONE,
        seller=seller,
        created_by=w.lead,
    )
    plan.deliverable_prices.create(collective=w.collective, deliverable=w.deliverable, price=Decimal("1000"))
    Deliverable.objects.filter(pk=w.deliverable.pk).update(status="delivered", delivered_at=timezone.now())
    w.deliverable.refresh_from_db()


def _proposed_split(w: World) -> None:
    """A split of the deliverable proposed to the lead and the plain member, half each."""
    _split_source(w)
    split = RevenueSplit.objects.create(
        collective=w.collective,
        mission=w.mission,
        source=RevenueSplit.Source.DELIVERABLE,
        deliverable=w.deliverable,
        amount=Decimal("1000"),
        method=RevenueSplit.Method.AGREED_BEFORE,
        status=RevenueSplit.Status.PROPOSED,
        proposed_at=timezone.now(),
    )
    for user in (w.lead, w.member):
        SplitShare.objects.create(
            collective=w.collective, split=split, user=user, percent=Decimal(50), amount=Decimal("500")
        )
    w.objects["split"] = split


def _half_each(w: World) -> splits.SplitChoice:
    return splits.SplitChoice(
        method=RevenueSplit.Method.AGREED_BEFORE, percents={w.lead.pk: Decimal(50), w.member.pk: Decimal(50)}
    )


RECIPES = {
    # api
    "api.services.tokens.access_token_create": Recipe(
        MEMBER,
        lambda w, u: tokens.access_token_create(
            by=u, collective_id=w.collective.pk, name="Zap", scope="read"
        ),
    ),
    "api.services.tokens.access_token_revoke": Recipe(
        AUTHOR,
        lambda w, u: tokens.access_token_revoke(by=u, token_id=w.objects["token"].pk),
        prepare=_lead_token,
    ),
    "api.services.webhooks.webhook_endpoint_create": Recipe(
        ADMIN,
        lambda w, u: webhooks.webhook_endpoint_create(
            by=u, collective_id=w.collective.pk, url="https://93.184.215.14/x", events=["mission.activated"]
        ),
    ),
    "api.services.webhooks.webhook_endpoint_set_active": Recipe(
        ADMIN,
        lambda w, u: webhooks.webhook_endpoint_set_active(
            by=u, endpoint_id=w.objects["endpoint"].pk, active=False
        ),
        prepare=_webhook_delivery,
    ),
    "api.services.webhooks.webhook_delivery_resend": Recipe(
        ADMIN,
        lambda w, u: webhooks.webhook_delivery_resend(by=u, delivery_id=w.objects["delivery"].pk),
        prepare=_webhook_delivery,
    ),
    # billing: the collective's entity is changed by its admins; a mission's plan, quotes and activity
    # reports by its lead or an admin
    # billing: payouts from the entity's account and exports of its books, by the collective's admins (a
    # member's business: that member only)
    "billing.services.payouts.payout_batch_create": Recipe(
        ADMIN,
        lambda w, u: payouts.payout_batch_create(
            by=u, seller_id=w.objects["entity_seller"].pk, execution_date=later()
        ),
        prepare=_entity_seller,
    ),
    "billing.services.payouts.payout_batch_approve": Recipe(
        ADMIN,
        lambda w, u: payouts.payout_batch_approve(by=u, batch_id=w.objects["payout_batch"].pk),
        prepare=_payout_batch,
    ),
    "billing.services.payouts.payout_batch_export": Recipe(
        ADMIN,
        lambda w, u: payouts.payout_batch_export(by=u, batch_id=w.objects["payout_batch"].pk),
        prepare=_payout_batch,
    ),
    "billing.services.payouts.payout_batch_mark_paid": Recipe(
        ADMIN,
        lambda w, u: payouts.payout_batch_mark_paid(by=u, batch_id=w.objects["payout_batch"].pk),
        prepare=_payout_batch,
    ),
    "billing.services.payouts.payout_batch_cancel": Recipe(
        ADMIN,
        lambda w, u: payouts.payout_batch_cancel(by=u, batch_id=w.objects["payout_batch"].pk),
        prepare=_payout_batch,
    ),
    "billing.services.exports.export_request": Recipe(
        ADMIN,
        lambda w, u: exports.export_request(
            by=u, seller_id=w.objects["entity_seller"].pk, kind="journal", year=timezone.localdate().year
        ),
        prepare=_entity_seller,
    ),
    "billing.services.sellers.member_seller_for": Recipe(
        MEMBER,
        lambda w, u: sellers.member_seller_for(by=u, collective_id=w.collective.pk, user_id=w.lead.pk),
    ),
    "billing.services.sellers.entity_seller_save": Recipe(
        ADMIN,
        lambda w, u: sellers.entity_seller_save(
            by=u, collective_id=w.collective.pk, values={"name": "Cordée SCOP", "entity_form": "scop"}
        ),
    ),
    "billing.services.sellers.seller_payment_defaults_update": Recipe(
        ADMIN,
        lambda w, u: sellers.seller_payment_defaults_update(
            by=u, seller_id=w.objects["entity_seller"].pk, values={"payment_days": 45}
        ),
        prepare=_entity_seller,
    ),
    "billing.services.sellers.series_prefix_update": Recipe(
        ADMIN,
        lambda w, u: sellers.series_prefix_update(
            by=u,
            seller_id=w.objects["entity_seller"].pk,
            document_type=NumberSeries.DocumentType.QUOTE,
            prefix="DV",
        ),
        prepare=_entity_seller,
    ),
    "billing.services.plans.plan_save": Recipe(
        MANAGER,
        lambda w, u: billing_plans.plan_save(
            by=u,
            mission_id=w.mission.pk,
            plan_input=billing_plans.PlanInput(
                model=BillingPlan.Model.MILESTONE,
                deliverable_prices=[(w.deliverable.pk, Decimal("2000"), None)],
            ),
        ),
    ),
    "billing.services.plans.plan_bonus_measure": Recipe(
        MANAGER,
        lambda w, u: billing_plans.plan_bonus_measure(
            by=u, plan_id=w.objects["billing_plan"].pk, measured_value="3,2 %", reached=True
        ),
        prepare=_active_plan,
    ),
    "billing.services.plans.overage_request": Recipe(
        MANAGER,
        lambda w, u: billing_plans.overage_request(
            by=u, mission_id=w.mission.pk, days=Decimal("3"), reason="Une page de plus"
        ),
        prepare=_active_plan,
    ),
    "billing.services.quotes.quote_draft": Recipe(
        MANAGER,
        lambda w, u: quotes.quote_draft(by=u, mission_id=w.mission.pk, valid_until=later(30)),
        prepare=_billing_plan,
    ),
    "billing.services.quotes.quote_send": Recipe(
        MANAGER, lambda w, u: quotes.quote_send(by=u, quote_id=w.objects["quote"].pk), prepare=_quote
    ),
    "billing.services.quotes.quote_revise": Recipe(
        MANAGER, lambda w, u: quotes.quote_revise(by=u, quote_id=w.objects["quote"].pk), prepare=_sent_quote
    ),
    "billing.services.reports.activity_report_draft": Recipe(
        MANAGER,
        lambda w, u: reports.activity_report_draft(
            by=u,
            mission_id=w.mission.pk,
            period_start=timezone.localdate() - dt.timedelta(days=7),
            period_end=timezone.localdate(),
        ),
        prepare=_active_plan,
    ),
    "billing.services.reports.activity_report_send": Recipe(
        MANAGER,
        lambda w, u: reports.activity_report_send(by=u, report_id=w.objects["report"].pk),
        prepare=_draft_report,
    ),
    # billing: payments by the invoice's issuer, the mission's lead or an admin; a bank account's lines by
    # its owner or an admin; the reminder ladder by admins
    "billing.services.payments.payment_record": Recipe(
        MANAGER,
        lambda w, u: billing_payments.payment_record(
            by=u, invoice_id=w.objects["invoice"].pk, paid_on=timezone.localdate(), amount="100.00"
        ),
        prepare=_issued_invoice,
    ),
    "billing.services.payments.payment_reverse": Recipe(
        MANAGER,
        lambda w, u: billing_payments.payment_reverse(
            by=u, payment_id=w.objects["payment"].pk, reason="Erreur"
        ),
        prepare=_invoice_payment,
    ),
    "billing.services.payments.statement_line_confirm": Recipe(
        AUTHOR,
        lambda w, u: billing_payments.statement_line_confirm(by=u, line_id=w.objects["line"].pk),
        prepare=_statement_line,
    ),
    "billing.services.payments.statement_line_split": Recipe(
        AUTHOR,
        lambda w, u: billing_payments.statement_line_split(
            by=u,
            line_id=w.objects["line"].pk,
            allocations=[billing_payments.Allocation(w.objects["invoice"].pk, Decimal("1200.00"))],
        ),
        prepare=_statement_line,
    ),
    "billing.services.payments.statement_line_ignore": Recipe(
        AUTHOR,
        lambda w, u: billing_payments.statement_line_ignore(by=u, line_id=w.objects["line"].pk),
        prepare=_statement_line,
    ),
    "billing.services.credits.credit_apply": Recipe(
        MANAGER,
        lambda w, u: billing_credits.credit_apply(
            by=u, invoice_id=w.objects["open_invoice"].pk, amount="50.00"
        ),
        prepare=_client_credit,
    ),
    "billing.services.credits.credit_refund": Recipe(
        AUTHOR,
        lambda w, u: billing_credits.credit_refund(
            by=u,
            seller_id=w.objects["invoice"].seller_id,
            client_id=w.mission.client_id,
            refunded_on=timezone.localdate(),
            amount="50.00",
            method="transfer",
        ),
        prepare=_client_credit,
    ),
    "billing.services.statements.statement_upload": Recipe(
        AUTHOR,
        lambda w, u: billing_statements.statement_upload(
            by=u,
            seller_id=w.objects["invoice"].seller_id,
            filename="s.csv",
            content="Date;Libellé;Crédit\n01/04/2026;VIR;10,00\n".encode(),
            format="csv",
            mapping={"date": "Date", "reference": "Libellé", "credit": "Crédit"},
        ),
        prepare=_issued_invoice,
    ),
    "billing.services.reminders.ladder_for": Recipe(
        ADMIN, lambda w, u: billing_reminders.ladder_for(by=u, collective_id=w.collective.pk)
    ),
    "billing.services.reminders.ladder_level_update": Recipe(
        ADMIN,
        lambda w, u: billing_reminders.ladder_level_update(
            by=u,
            level_id=w.objects["level"].pk,
            offset_days=8,
            text_fr="Relance",
            text_en="Reminder",
            enabled=True,
        ),
        prepare=_reminder_level,
    ),
    "billing.services.reminders.ladder_level_add": Recipe(
        ADMIN,
        lambda w, u: billing_reminders.ladder_level_add(by=u, collective_id=w.collective.pk, offset_days=10),
        prepare=_reminder_level,
    ),
    "billing.services.reminders.ladder_level_archive": Recipe(
        ADMIN,
        lambda w, u: billing_reminders.ladder_level_archive(by=u, level_id=w.objects["level"].pk),
        prepare=_reminder_level,
    ),
    "billing.services.reminders.invoice_reminders_pause": Recipe(
        MANAGER,
        lambda w, u: billing_reminders.invoice_reminders_pause(
            by=u, invoice_id=w.objects["invoice"].pk, paused=True
        ),
        prepare=_issued_invoice,
    ),
    "billing.services.reminders.invoice_dispute_set": Recipe(
        MANAGER,
        lambda w, u: billing_reminders.invoice_dispute_set(
            by=u, invoice_id=w.objects["invoice"].pk, disputed=True
        ),
        prepare=_issued_invoice,
    ),
    # billing: invoices are drafted and sent by the mission's lead or an admin, issued and credited by their
    # seller (here the lead's business); a member records their own billing mandate and ends it
    "billing.services.invoices.invoice_batch_draft": Recipe(
        MANAGER,
        lambda w, u: invoices.invoice_batch_draft(
            by=u, mission_id=w.mission.pk, deliverable_id=w.deliverable.pk
        ),
        prepare=_active_plan,
    ),
    "billing.services.invoices.invoice_draft_update": Recipe(
        MANAGER,
        lambda w, u: invoices.invoice_draft_update(
            by=u, invoice_id=w.objects["invoice"].pk, values={"purchase_order": "PO-1"}
        ),
        prepare=_lead_draft_invoice,
    ),
    "billing.services.invoices.invoice_issue": Recipe(
        AUTHOR,
        lambda w, u: invoices.invoice_issue(by=u, invoice_id=w.objects["invoice"].pk),
        prepare=_lead_draft_invoice,
    ),
    "billing.services.invoices.credit_note_issue": Recipe(
        AUTHOR,
        lambda w, u: invoices.credit_note_issue(by=u, invoice_id=w.objects["invoice"].pk),
        prepare=_lead_issued_invoice,
    ),
    "billing.services.invoices.invoice_batch_send": Recipe(
        MANAGER,
        lambda w, u: invoices.invoice_batch_send(by=u, batch_id=w.objects["invoice_batch"].pk),
        prepare=_lead_draft_invoice,
    ),
    "billing.services.invoices.invoice_batch_discard": Recipe(
        MANAGER,
        lambda w, u: invoices.invoice_batch_discard(by=u, batch_id=w.objects["invoice_batch"].pk),
        prepare=_lead_issued_invoice,
    ),
    "billing.services.invoices.billing_mandate_record": Recipe(
        MEMBER,
        lambda w, u: invoices.billing_mandate_record(
            by=u,
            collective_id=w.collective.pk,
            issuer_id=w.objects["mandate"].seller_id,
            signed_on=timezone.localdate(),
            scope="Factures",
        ),
        prepare=_lead_mandate,
    ),
    "billing.services.invoices.billing_mandate_archive": Recipe(
        AUTHOR,
        lambda w, u: invoices.billing_mandate_archive(by=u, mandate_id=w.objects["mandate"].pk),
        prepare=_lead_mandate,
    ),
    # billing: a revenue split is proposed and changed by the lead or an admin, approved or rejected by each
    # member with a share (the plain member has one; the outsider and a member who left are refused)
    "billing.services.splits.split_propose": Recipe(
        MANAGER,
        lambda w, u: splits.split_propose(
            by=u,
            mission_id=w.mission.pk,
            kind=RevenueSplit.Source.DELIVERABLE,
            source_id=w.deliverable.pk,
            choice=_half_each(w),
        ),
        prepare=_split_source,
    ),
    "billing.services.splits.split_change": Recipe(
        MANAGER,
        lambda w, u: splits.split_change(by=u, split_id=w.objects["split"].pk, choice=_half_each(w)),
        prepare=_proposed_split,
    ),
    "billing.services.splits.split_approve": Recipe(
        TEAM, lambda w, u: splits.split_approve(by=u, split_id=w.objects["split"].pk), prepare=_proposed_split
    ),
    "billing.services.splits.split_reject": Recipe(
        TEAM,
        lambda w, u: splits.split_reject(by=u, split_id=w.objects["split"].pk, comment="Trop peu"),
        prepare=_proposed_split,
    ),
    # clients
    "clients.services.client_create": Recipe(
        MEMBER,
        lambda w, u: clients.client_create(collective=w.collective, by=u, data={"name": "Nouvelle SA"}),
    ),
    "clients.services.client_update": Recipe(
        MEMBER, lambda w, u: clients.client_update(client=w.mission.client, by=u, data={"name": "Renommée"})
    ),
    "clients.services.client_get_or_create_by_name": Recipe(
        MEMBER,
        lambda w, u: clients.client_get_or_create_by_name(collective=w.collective, by=u, name="Autre SA"),
    ),
    "clients.services.client_remove": Recipe(
        MANAGER, lambda w, u: clients.client_remove(client=w.mission.client, by=u)
    ),
    "clients.services.client_contact_create": Recipe(
        MEMBER,
        lambda w, u: clients.client_contact_create(
            client=w.mission.client, by=u, data={"full_name": "Ana", "email": "ana@client.fr"}
        ),
    ),
    "clients.services.client_contact_get_or_create": Recipe(
        MEMBER,
        lambda w, u: clients.client_contact_get_or_create(
            client=w.mission.client, by=u, data={"full_name": "Ana", "email": "ana@client.fr"}
        ),
    ),
    "clients.services.client_contact_update": Recipe(
        MEMBER,
        lambda w, u: clients.client_contact_update(
            contact=w.objects["contact"], by=u, data={"full_name": "Ana B.", "email": "anab@client.fr"}
        ),
    ),
    "clients.services.client_contact_remove": Recipe(
        MANAGER, lambda w, u: clients.client_contact_remove(contact=w.objects["contact"], by=u)
    ),
    # collectives
    "collectives.services.collective_settings_update": Recipe(
        ADMIN,
        lambda w, u: collectives.collective_settings_update(
            collective=w.collective, by=u, name="Renommé", slug=w.collective.slug, time_zone="Europe/Paris"
        ),
    ),
    "collectives.services.collective_page_update": Recipe(
        ADMIN,
        lambda w, u: collectives.collective_page_update(
            collective=w.collective, by=u, tagline="Nouvelle accroche", description="", expertises=[]
        ),
    ),
    "collectives.services.collective_publish": Recipe(
        ADMIN, lambda w, u: collectives.collective_publish(collective=w.collective, by=u)
    ),
    "collectives.services.collective_unpublish": Recipe(
        ADMIN, lambda w, u: collectives.collective_unpublish(collective=w.collective, by=u)
    ),
    "collectives.services.reference_create": Recipe(
        ADMIN, lambda w, u: collectives.reference_create(collective=w.collective, by=u, title="Site")
    ),
    "collectives.services.reference_update": Recipe(
        ADMIN,
        lambda w, u: collectives.reference_update(reference=w.objects["reference"], by=u, title="Autre"),
    ),
    "collectives.services.reference_delete": Recipe(
        ADMIN, lambda w, u: collectives.reference_delete(reference=w.objects["reference"], by=u)
    ),
    "collectives.services.reference_move": Recipe(
        ADMIN, lambda w, u: collectives.reference_move(reference=w.objects["reference"], by=u, direction="up")
    ),
    "collectives.services.membership_update": Recipe(
        ADMIN,
        lambda w, u: collectives.membership_update(
            membership=w.objects["admin_membership"],
            by=membership_of(w, u),
            title="Nouveau titre",
            skills=[],
            day_rate=None,
        ),
    ),
    "collectives.services.membership_remove": Recipe(
        ADMIN,
        lambda w, u: collectives.membership_remove(
            membership=w.objects["admin_membership"], by=membership_of(w, u)
        ),
    ),
    "collectives.services.failed_email_retry": Recipe(
        ADMIN,
        lambda w, u: collectives.failed_email_retry(email=w.objects["failed_email"], by=membership_of(w, u)),
    ),
    # communication
    "communication.services.calls.delivery_call_schedule": Recipe(
        MANAGER,
        lambda w, u: calls.delivery_call_schedule(
            deliverable=w.deliverable,
            by=u,
            starts_at=timezone.now() + dt.timedelta(days=5),
            duration_minutes=30,
            attendee_users=[w.lead],
            attendee_contacts=[w.objects["contact"]],
        ),
    ),
    "communication.services.calls.delivery_call_update": Recipe(
        MANAGER,
        lambda w, u: calls.delivery_call_update(
            call=w.objects["call"],
            by=u,
            starts_at=timezone.now() + dt.timedelta(days=6),
            duration_minutes=45,
            attendee_users=[w.lead],
            attendee_contacts=[w.objects["contact"]],
        ),
    ),
    "communication.services.calls.delivery_call_cancel": Recipe(
        MANAGER, lambda w, u: calls.delivery_call_cancel(call=w.objects["call"], by=u)
    ),
    "communication.services.events.collective_event_create": Recipe(
        MEMBER,
        lambda w, u: events.collective_event_create(
            collective=w.collective,
            by=u,
            title="Apéro",
            starts_at=timezone.now() + dt.timedelta(days=2),
            duration_minutes=60,
            invite_members=True,
        ),
    ),
    "communication.services.events.collective_event_update": Recipe(
        AUTHOR, lambda w, u: events.collective_event_update(event=w.objects["event"], by=u, title="Renommé")
    ),
    "communication.services.events.collective_event_cancel": Recipe(
        AUTHOR, lambda w, u: events.collective_event_cancel(event=w.objects["event"], by=u)
    ),
    "communication.services.events.event_response_set": Recipe(
        MEMBER, lambda w, u: events.event_response_set(event=w.objects["event"], user=u, answer="yes")
    ),
    "communication.services.events.event_feed_create": Recipe(
        MEMBER, lambda w, u: events.event_feed_create(user=u, collective=w.collective)
    ),
    "communication.services.kickoff.kickoff_send": Recipe(
        MANAGER, lambda w, u: kickoff.kickoff_send(mission=w.mission, by=u)
    ),
    "communication.services.recaps.recap_create_now": Recipe(
        MANAGER, lambda w, u: recaps.recap_create_now(mission=w.mission, by=u)
    ),
    "communication.services.recaps.recap_update": Recipe(
        MANAGER,
        lambda w, u: recaps.recap_update(recap=w.objects["recap"], by=u, subject="Point", body="Texte"),
    ),
    "communication.services.recaps.recap_send": Recipe(
        MANAGER, lambda w, u: recaps.recap_send(recap=w.objects["recap"], by=u)
    ),
    "communication.services.recaps.recap_skip": Recipe(
        MANAGER, lambda w, u: recaps.recap_skip(recap=w.objects["recap"], by=u)
    ),
    "communication.services.ritual_videos.ritual_video_post": Recipe(
        MANAGER,
        lambda w, u: ritual_videos.ritual_video_post(
            mission=w.mission,
            week_start=timezone.localdate(),
            video_link="https://video.example.fr/1",
            summary="La semaine",
            by=u,
        ),
    ),
    "communication.services.rituals_calendar.ritual_call_save": Recipe(
        MANAGER,
        lambda w, u: rituals_calendar.ritual_call_save(
            mission=w.mission,
            by=u,
            weekday=1,
            start_time=dt.time(10, 0),
            duration_minutes=30,
            video_link="https://meet.example.fr/x",
            first_date=later(),
        ),
    ),
    "communication.services.rituals_calendar.ritual_call_stop": Recipe(
        MANAGER, lambda w, u: rituals_calendar.ritual_call_stop(mission=w.mission, by=u)
    ),
    # feedback
    "feedback.services.follow_up.follow_up_close": Recipe(
        MANAGER, lambda w, u: follow_up.follow_up_close(follow_up=w.objects["follow_up"], by=u, state="done")
    ),
    "feedback.services.follow_up.response_mark_unclear": Recipe(
        MANAGER, lambda w, u: follow_up.response_mark_unclear(response=w.objects["response"], by=u)
    ),
    "feedback.services.plans.plan_create": Recipe(
        MANAGER,
        lambda w, u: plans.plan_create(
            mission=w.mission, survey=w.objects["survey"], by=u, message="Merci", initiatives=_initiatives(w)
        ),
    ),
    "feedback.services.plans.plan_update": Recipe(
        MANAGER,
        lambda w, u: plans.plan_update(
            plan=w.objects["plan"], by=u, message="Merci", initiatives=_initiatives(w)
        ),
    ),
    "feedback.services.plans.plan_send": Recipe(
        MANAGER, lambda w, u: plans.plan_send(plan=w.objects["plan"], by=u)
    ),
    "feedback.services.plans.initiative_set_done": Recipe(
        AUTHOR, lambda w, u: plans.initiative_set_done(initiative=w.objects["initiative"], by=u, done=True)
    ),
    # invitations
    "invitations.services.invitations_create": Recipe(
        ADMIN,
        lambda w, u: invitations.invitations_create(
            collective=w.collective, invited_by=u, emails=["nouvelle@example.fr"]
        ),
    ),
    "invitations.services.invitation_resend": Recipe(
        ADMIN, lambda w, u: invitations.invitation_resend(invitation=w.objects["invitation"], sent_by=u)
    ),
    "invitations.services.invitation_revoke": Recipe(
        ADMIN, lambda w, u: invitations.invitation_revoke(invitation=w.objects["invitation"], by=u)
    ),
    # missions
    "missions.services.missions.mission_create": Recipe(
        MEMBER,
        lambda w, u: missions.mission_create(
            collective=w.collective,
            by=u,
            data={"title": "Nouvelle", "client": w.mission.client, "lead": w.lead, "start_date": later()},
            team=[],
        ),
    ),
    "missions.services.missions.mission_update": Recipe(
        MANAGER,
        lambda w, u: missions.mission_update(
            mission=w.mission,
            by=u,
            data={"title": "Renommée", "client": w.mission.client, "start_date": w.mission.start_date},
        ),
    ),
    "missions.services.missions.mission_activate": Recipe(
        MANAGER, lambda w, u: missions.mission_activate(mission=w.mission, by=u)
    ),
    "missions.services.missions.mission_pause": Recipe(
        MANAGER, lambda w, u: missions.mission_pause(mission=w.mission, by=u)
    ),
    "missions.services.missions.mission_resume": Recipe(
        MANAGER, lambda w, u: missions.mission_resume(mission=w.mission, by=u)
    ),
    "missions.services.missions.mission_deliver": Recipe(
        MANAGER, lambda w, u: missions.mission_deliver(mission=w.mission, by=u)
    ),
    "missions.services.missions.mission_close": Recipe(
        MANAGER, lambda w, u: missions.mission_close(mission=w.mission, by=u)
    ),
    "missions.services.missions.mission_change_lead": Recipe(
        MANAGER, lambda w, u: missions.mission_change_lead(mission=w.mission, by=u, new_lead=w.admin)
    ),
    "missions.services.missions.mission_member_add": Recipe(
        MANAGER, lambda w, u: missions.mission_member_add(mission=w.mission, by=u, user=w.objects["newcomer"])
    ),
    "missions.services.missions.mission_member_update": Recipe(
        MANAGER,
        lambda w, u: missions.mission_member_update(
            member=w.mission.team.get(user=w.member),
            by=u,
            role="dev",
            day_rate=None,
            weekly_capacity_hours=None,
        ),
    ),
    "missions.services.missions.mission_member_remove": Recipe(
        MANAGER,
        lambda w, u: missions.mission_member_remove(member=w.objects["team_newcomer"], by=u),
        prepare=lambda w: w.objects.update(
            team_newcomer=MissionMemberFactory(mission=w.mission, user=w.objects["newcomer"])
        ),
    ),
    "missions.services.deliverables.deliverable_create": Recipe(
        MANAGER,
        lambda w, u: deliverables.deliverable_create(
            mission=w.mission, collective=w.collective, by=u, title="Maquettes", internal_date=later(30)
        ),
    ),
    "missions.services.deliverables.deliverable_update": Recipe(
        MANAGER,
        lambda w, u: deliverables.deliverable_update(
            deliverable=w.deliverable, by=u, title="Autre titre", internal_date=w.deliverable.internal_date
        ),
    ),
    "missions.services.deliverables.deliverable_announced_date_reset": Recipe(
        MANAGER, lambda w, u: deliverables.deliverable_announced_date_reset(deliverable=w.deliverable, by=u)
    ),
    "missions.services.deliverables.deliverable_delete": Recipe(
        MANAGER, lambda w, u: deliverables.deliverable_delete(deliverable=w.deliverable, by=u)
    ),
    "missions.services.deliverables.deliverable_change_status": Recipe(
        MANAGER,
        lambda w, u: deliverables.deliverable_change_status(
            deliverable=w.deliverable, status="in_progress", by=u
        ),
    ),
    "missions.services.deliverables.delay_notice_send": Recipe(
        MANAGER,
        lambda w, u: deliverables.delay_notice_send(
            deliverable=w.deliverable,
            new_date=w.deliverable.announced_date + dt.timedelta(days=7),
            reason="Retard",
            by=u,
            today=timezone.localdate(),
        ),
    ),
    "missions.services.requests.client_request_record": Recipe(
        MANAGER, lambda w, u: requests.client_request_record(mission=w.mission, title="Un logo", by=u)
    ),
    "missions.services.requests.client_request_plan": Recipe(
        MANAGER,
        lambda w, u: requests.client_request_plan(
            client_request=w.objects["request"], tasks=[{"title": "Faire le logo"}], by=u
        ),
    ),
    "missions.services.requests.client_request_decline": Recipe(
        MANAGER,
        lambda w, u: requests.client_request_decline(
            client_request=w.objects["request"], reason="Hors périmètre", by=u
        ),
    ),
    "missions.services.tasks.task_create": Recipe(
        MANAGER, lambda w, u: tasks.task_create(mission=w.mission, by=u, title="Nouvelle tâche")
    ),
    "missions.services.tasks.task_update": Recipe(
        AUTHOR, lambda w, u: tasks.task_update(task=w.task, by=u, title="Renommée"), prepare=_given_to_lead
    ),
    "missions.services.tasks.task_assign": Recipe(
        MANAGER, lambda w, u: tasks.task_assign(task=w.task, assignee=w.lead, by=u)
    ),
    "missions.services.tasks.task_delete": Recipe(MANAGER, lambda w, u: tasks.task_delete(task=w.task, by=u)),
    # The plain member refused below is not the task's assignee: the task is given to the lead first.
    "missions.services.tasks.task_move": Recipe(
        AUTHOR, lambda w, u: tasks.task_move(task=w.task, status="doing", by=u), prepare=_given_to_lead
    ),
    "missions.services.tasks.task_place": Recipe(
        AUTHOR,
        lambda w, u: tasks.task_place(task=w.task, status="doing", before_id=None, by=u),
        prepare=_given_to_lead,
    ),
    "missions.services.tasks.task_reorder": Recipe(
        AUTHOR, lambda w, u: tasks.task_reorder(task=w.task, direction="down", by=u), prepare=_given_to_lead
    ),
    # In the mission's default mode (the lead assigns), the plain member may neither take nor release.
    "missions.services.tasks.task_take": Recipe(
        SELF_SERVICE, lambda w, u: tasks.task_take(task=w.task, by=u), prepare=_unassigned
    ),
    "missions.services.tasks.task_release": Recipe(
        SELF_SERVICE, lambda w, u: tasks.task_release(task=w.task, by=u), prepare=_given_to_lead
    ),
    # opportunities: a shared pipeline
    "opportunities.services.opportunity_create": Recipe(
        MEMBER,
        lambda w, u: opportunities.opportunity_create(
            collective=w.collective,
            by=u,
            data={"contact_name": "Léa", "contact_email": "lea@x.fr", "need": "Un site"},
        ),
    ),
    "opportunities.services.opportunity_change_stage": Recipe(
        MEMBER,
        lambda w, u: opportunities.opportunity_change_stage(
            opportunity=w.objects["opportunity"], stage="qualified", by=u
        ),
    ),
    "opportunities.services.opportunity_update": Recipe(
        MEMBER,
        lambda w, u: opportunities.opportunity_update(
            opportunity=w.objects["opportunity"],
            by=u,
            owner=None,
            notes="Rappeler",
            next_action="",
            next_action_date=None,
        ),
    ),
    # portal access
    "portal.services.portal_access_send": Recipe(
        MANAGER, lambda w, u: portal.portal_access_send(contact=w.objects["contact"], by=u)
    ),
    "portal.services.portal_access_revoke": Recipe(
        MANAGER, lambda w, u: portal.portal_access_revoke(contact=w.objects["contact"], by=u)
    ),
    # timesheets
    "timesheets.services.time_entry_log": Recipe(
        TEAM,
        lambda w, u: timesheets.time_entry_log(
            mission=w.mission, user=u, date=timezone.localdate(), hours=Decimal("2")
        ),
    ),
    "timesheets.services.time_entry_update": Recipe(
        AUTHOR,
        lambda w, u: timesheets.time_entry_update(
            entry=w.objects["entry"], by=u, date=timezone.localdate(), hours=Decimal("1")
        ),
    ),
    "timesheets.services.time_entry_delete": Recipe(
        AUTHOR, lambda w, u: timesheets.time_entry_delete(entry=w.objects["entry"], by=u)
    ),
    "timesheets.services.timesheet_week_save": Recipe(
        TEAM,
        lambda w, u: timesheets.timesheet_week_save(
            user=u, days=[timezone.localdate()], values={(w.mission.pk, timezone.localdate()): Decimal("2")}
        ),
    ),
}


# The actor allowed for each kind of rule (the positive control of the walk).
ALLOWED = {
    MEMBER: "member",
    MANAGER: "lead",
    ADMIN: "admin",
    AUTHOR: "lead",
    TEAM: "member",
    SELF_SERVICE: "lead",
}
# The plain member on the team is refused for these kinds of rule.
REFUSES_MEMBER = {MANAGER, ADMIN, AUTHOR, SELF_SERVICE}


# --- Discovery -----------------------------------------------------------------------------------------


def service_modules() -> list[str]:
    paths = sorted((ROOT / "cordee").glob("*/services.py")) + sorted(
        (ROOT / "cordee").glob("*/services/*.py")
    )
    return [
        ".".join(path.relative_to(ROOT).with_suffix("").parts) for path in paths if path.name != "__init__.py"
    ]


def public_services() -> set[str]:
    found = set()
    for module_name in service_modules():
        module = importlib.import_module(module_name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and function.__module__ == module_name:
                found.add(f"{module_name.removeprefix('cordee.')}.{name}")
    return found


def test_every_public_service_is_classified():
    classified = [READ_ONLY, SYSTEM, NOT_A_MEMBER, OWN_ACCOUNT, RECIPES]
    listed = set().union(*classified)
    assert sum(len(group) for group in classified) == len(listed), "a function is classified twice"
    discovered = public_services()
    unclassified = sorted(discovered - listed)
    assert unclassified == [], (
        "New public service functions: give each a recipe in RECIPES (it changes state on a member's behalf "
        "and fetches its object through an access function) or list it with the reason it needs no check."
    )
    assert sorted(listed - discovered) == []  # no stale entry
    assert len(RECIPES) >= 80


# --- The walk ------------------------------------------------------------------------------------------


def database_state() -> dict:
    """Every row of every model of the project, to compare before and after a refused call."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
        if model.__module__.startswith("cordee.")
    }


def refused_without_change(recipe: Recipe, w: World, user) -> str | None:
    if recipe.prepare is not None:
        recipe.prepare(w)
    before = database_state()
    try:
        recipe.call(w, user)
    except AccessDenied:
        pass
    except Exception as error:  # noqa: BLE001 - any other outcome is the failure reported
        return f"raised {type(error).__name__} ({error}) instead of AccessDenied"
    else:
        return "was not refused"
    if database_state() != before:
        return "was refused but changed the database"
    return None


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_an_outsider_is_refused_and_nothing_changes(world, name):
    assert refused_without_change(RECIPES[name], world, world.outsider) is None


@pytest.mark.parametrize(
    "name", sorted(name for name, recipe in RECIPES.items() if recipe.may in REFUSES_MEMBER)
)
def test_a_plain_member_is_refused_where_only_the_lead_an_admin_or_the_author_may(world, name):
    assert refused_without_change(RECIPES[name], world, world.member) is None


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_a_member_who_left_the_collective_is_refused(world, name):
    """The lead's rights end with their membership: a lead (or author) who left passes no check."""
    actor = getattr(world, ALLOWED[RECIPES[name].may])
    actor.memberships.all().delete()
    assert refused_without_change(RECIPES[name], world, actor) is None


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_the_allowed_actor_passes_the_check(world, name):
    """The positive control: the refusals above come from the access rule, not from a broken recipe."""
    recipe = RECIPES[name]
    if recipe.may == SELF_SERVICE:
        _self_service(world)
    if recipe.prepare is not None:
        recipe.prepare(world)
    actor = getattr(world, ALLOWED[recipe.may])
    # A business rule may still refuse (e.g. a transition not allowed from the current status).
    with contextlib.suppress(ValidationError, InvitationError):
        recipe.call(world, actor)
