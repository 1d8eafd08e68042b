"""Every email a client receives can be previewed: the templates given to `email_enqueue` in the code
are compared with the kinds on the mission's email previews page."""

import ast
from pathlib import Path

from cordee.communication.services.previews import preview_kinds

ROOT = Path(__file__).resolve().parent.parent

# Emails that go to members or to people who are not a mission's client contacts: not on the page.
NOT_CLIENT_FACING = {
    "opportunities/emails/proposal_acknowledgement": "to a prospect, from the public page, before any mission",
    "api/emails/webhook_disabled": "to the collective's admins: a webhook endpoint was switched off",
    "missions/emails/health_alert": "to the mission's lead: a deliverable's health changed",
    "missions/emails/assignment_digest": "to a member: their new tasks of the day",
    "communication/emails/recap_draft_ready": "to the lead: the recap draft waits for them",
    "communication/emails/ritual_video_reminder": "to the lead: the week's video is missing",
    "communication/emails/event_invitation": "to the collective's members: an internal event",
    "invitations/emails/invitation": "to a future member of the collective",
    "invitations/emails/accepted": "to the inviter: their invitation was accepted",
    "opportunities/emails/proposal_received": "to the collective's admins: a prospect proposed a project",
    "portal/emails/request_received": "to the lead: a client request came through the portal",
    "billing/emails/cap_alert_lead": "to the mission's lead: a share of the pay-as-you-go cap is consumed",
    "billing/emails/quote_accepted": "to the mission's lead: the client accepted a quote in the portal",
    "billing/emails/quote_declined": "to the mission's lead: the client declined a quote in the portal",
    "billing/emails/split_approval_request": "to a member: a revenue split of their work waits for their approval",
    "billing/emails/split_approval_reminder": "to a member: the daily reminder of a split they have not answered",
    "billing/emails/split_rejected": "to the mission's lead: a member rejected a revenue split",
    # Sent on the same action as the invitation the page shows (same layout, METHOD:CANCEL).
    "communication/emails/delivery_call_cancelled": "the cancellation of the delivery call previewed",
    "communication/emails/ritual_call_cancelled": "the cancellation of the weekly call previewed",
}
# Templates not written in the call: allauth's account emails (sign-up, password reset...), chosen at
# run time by the library, and the passing on of their argument by the outbox and billing's client email.
DYNAMIC = {
    "cordee/accounts/adapter.py:template_prefix",
    "cordee/core/outbox.py:template",
    "cordee/billing/services/links.py:template",
}


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    return {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _local_assignments(function: ast.AST, name: str) -> list[ast.expr]:
    return [
        node.value
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == name for target in node.targets)
    ]


def _resolve(value: ast.expr, *, constants, function, where: str) -> set[str]:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return {value.value}
    if isinstance(value, ast.IfExp):
        return _resolve(value.body, constants=constants, function=function, where=where) | _resolve(
            value.orelse, constants=constants, function=function, where=where
        )
    if isinstance(value, ast.Name):
        local = _local_assignments(function, value.id) if function is not None else []
        if local:
            return set().union(*(_resolve(v, constants=constants, function=None, where=where) for v in local))
        if value.id in constants:
            return _resolve(constants[value.id], constants=constants, function=None, where=where)
        return {f"{where}:{value.id}"}
    raise AssertionError(f"{where}: cannot read the template given to email_enqueue: {ast.dump(value)}")


# The ways to put an email in the outbox, with the position of `template` when given positionally:
# `email_enqueue(...)` (keyword-only), the `EmailRequest(...)`s of `email_enqueue_many`, and billing's
# `client_email_enqueue(...)` (keyword-only), which forwards its own `template` parameter to the outbox.
SENDERS = {"email_enqueue": 99, "EmailRequest": 2, "client_email_enqueue": 99}


def enqueued_templates() -> set[str]:
    """Every template given to `email_enqueue(...)` or `EmailRequest(...)` in the app code, constants
    resolved."""
    templates = set()
    for path in sorted((ROOT / "cordee").rglob("*.py")):
        if "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        constants = _constants(tree)
        where = str(path.relative_to(ROOT))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                name = getattr(call.func, "id", getattr(call.func, "attr", None))
                if name not in SENDERS:
                    continue
                given = [keyword.value for keyword in call.keywords if keyword.arg == "template"]
                if not given and len(call.args) > SENDERS[name]:
                    given = [call.args[SENDERS[name]]]
                assert len(given) == 1, f"{where}:{call.lineno}: {name} without its template"
                templates |= _resolve(given[0], constants=constants, function=function, where=where)
    return templates


def test_the_scan_reads_every_email_of_the_code():
    templates = enqueued_templates()

    assert "communication/emails/kickoff" in templates
    assert {"feedback/emails/survey", "feedback/emails/survey_reminder"} <= templates
    assert {
        "communication/emails/ritual_call_invitation",
        "communication/emails/ritual_call_cancelled",
    } <= templates
    assert templates >= DYNAMIC


def test_every_client_email_has_its_preview():
    previewed = {kind.template for kind in preview_kinds()}
    client_facing = enqueued_templates() - set(NOT_CLIENT_FACING) - DYNAMIC

    assert sorted(client_facing - previewed) == []
    assert sorted(previewed - enqueued_templates()) == []


def test_the_exemptions_are_all_still_sent():
    """An exemption for an email the code no longer sends is removed rather than kept."""
    assert sorted(set(NOT_CLIENT_FACING) - enqueued_templates()) == []


def test_the_feedback_emails_are_on_the_page():
    keys = [kind.key for kind in preview_kinds()]

    assert keys == [
        "kickoff",
        "recap",
        "delay_notice",
        "lead_changed",
        "delivery_call",
        "ritual_call",
        "ritual_video",
        "portal_access",
        "survey",
        "survey_reminder",
        "follow_up_request",
        "follow_up_confirmed",
        "improvement_plan",
        "quote_sent",
        "report_sent",
        "cap_alert_client",
        "overage_request",
        "invoices_sent",
        "credit_note_sent",
        "invoice_reminder",
    ]
