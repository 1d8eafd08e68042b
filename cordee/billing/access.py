"""Who may read what of billing: one rule for the pages and the API, which both filter through here.

What the pages allowed before this rule (audit of December 2026):
- any member of the collective opened any mission's billing page, its invoices (drafts too) and their PDF
  (with the seller's IBAN printed), its payments, its revenue splits with every member's share, and the
  payment charts with every member's business's receipts month by month;
- the API gave any member's token every issued invoice with the seller's and buyer's snapshots (IBANs
  included), every payment and every split of the collective;
- already narrower: payout batches (with the members' IBANs) and the receipts book and other exports
  only for the seller's administrator; a member's statement for that member and the collective's admins;
  bank statements for the account's owner and the admins (who reconcile for the members).

The rule, the same on the pages and through the API:
- A mission's billing (its plan, quotes, reports, splits, client invoices and their payments) is read by
  the collective's admins, the mission's lead (who manages its billing) and the members of its team (or
  with a share in one of its revenue splits). Other members get a 403 on the mission's billing pages and
  find none of it in lists, the payment charts or the API. An invoice's pages follow the invoice's rule
  below (a 404 otherwise). (Drafts show on the pages to their readers; the API never shows drafts.)
- A client's invoice is read by the mission's readers, and by its seller's owner and its issuer's even
  outside the team.
- An invoice a member sends another seller (re-invoicing by the lead, or to the collective's entity) is
  between the two businesses: its seller's owner, its buyer's administrator, the mission's lead and the
  collective's admins read it; the rest of the team does not.
- Bank details (IBAN, BIC, account holder) of an invoice's party (seller, buyer, issuer under a mandate):
  shown to that party's administrator; the seller's also to whoever reads a client's invoice, since they
  are printed on what the client receives. So on an invoice between two businesses a member's IBAN is seen
  by that member and the buyer's administrator (who pays it), never by another member, lead or admin. The
  stored PDF and XML of such an invoice print the IBAN: they are served to those two only.
- A seller's administrator is the member for their own business, the collective's admins for the entity.
  Payouts, the receipts book and the other exports stay with the seller's administrator (services/payouts,
  services/exports); a member's statement with the member and the admins. Kept as it was: the bank
  statements of a member's account are read by that member and the collective's admins, whom the payment
  services let reconcile for members (payment_queries.reconcilable_sellers).

Every function works from a membership already checked (collective_view, or the API's token) and costs no
query: the filters are joins or subqueries of the listing's own query.
"""

from django.db.models import Q

from cordee.billing.models import Invoice, LegalSeller, SplitShare
from cordee.collectives.models import Membership
from cordee.missions.models import Mission, MissionMember

BANK_DETAILS = ("iban", "bic", "account_holder")


def _in_team(membership: Membership, mission_id: str) -> Q:
    """Rows whose `mission_id` is a mission the member is in the team of, or has a split's share in."""
    team = MissionMember.objects.filter(collective_id=membership.collective_id, user_id=membership.user_id)
    shares = SplitShare.objects.filter(collective_id=membership.collective_id, user_id=membership.user_id)
    return Q(**{f"{mission_id}__in": team.values("mission_id")}) | Q(
        **{f"{mission_id}__in": shares.values("split__mission_id")}
    )


def _missions_of(membership: Membership, prefix: str) -> Q:
    """The missions (through `prefix`) whose billing the member reads: theirs as lead or in the team."""
    return Q(**{f"{prefix}lead_id": membership.user_id}) | _in_team(membership, f"{prefix}pk")


def may_read_mission_billing(membership: Membership, mission: Mission) -> bool:
    """The collective's admins, the mission's lead and its team read the mission's billing."""
    if membership.collective_id != mission.collective_id:
        return False
    if membership.is_admin or mission.lead_id == membership.user_id:
        return True
    return (
        MissionMember.objects.filter(mission_id=mission.pk, user_id=membership.user_id).exists()
        or SplitShare.objects.filter(split__mission_id=mission.pk, user_id=membership.user_id).exists()
    )


def readable_missions(membership: Membership, prefix: str = "mission__") -> Q:
    """A filter on rows of a mission (quotes, splits, reports) to those whose mission's billing the member
    reads; `prefix` is the path from the row to its mission."""
    condition = Q(**{f"{prefix}collective_id": membership.collective_id})
    if membership.is_admin:
        return condition
    return condition & _missions_of(membership, prefix)


def readable_invoices(membership: Membership, prefix: str = "") -> Q:
    """A filter on invoices (or rows of an invoice, through `prefix`) to those the member reads: all of
    the collective's for an admin; otherwise the client invoices of their missions, any invoice of a
    mission they lead, and those their business issued (or issued for another) or received."""
    condition = Q(**{f"{prefix}collective_id": membership.collective_id})
    if membership.is_admin:
        return condition
    user_id = membership.user_id
    own = LegalSeller.Kind.MEMBER
    return condition & (
        (Q(**{f"{prefix}client__isnull": False}) & _in_team(membership, f"{prefix}mission_id"))
        | Q(**{f"{prefix}mission__lead_id": user_id})
        | Q(**{f"{prefix}seller__kind": own, f"{prefix}seller__user_id": user_id})
        | Q(**{f"{prefix}issuer__kind": own, f"{prefix}issuer__user_id": user_id})
        | Q(**{f"{prefix}buyer_seller__kind": own, f"{prefix}buyer_seller__user_id": user_id})
    )


def administers(membership: Membership, seller: LegalSeller | None) -> bool:
    """Whether the member administers the seller's account and books (see the module's rule)."""
    if seller is None or seller.collective_id != membership.collective_id:
        return False
    if seller.kind == LegalSeller.Kind.MEMBER:
        return seller.user_id == membership.user_id
    return membership.is_admin


def invoice_parties(membership: Membership, invoice: Invoice) -> dict[str, dict]:
    """The invoice's seller, buyer and issuer as issued, for this reader: each party's bank details are
    blanked unless the reader administers that party; the seller's are also shown to its payer: whoever
    reads a client's invoice (they are printed for the client), the buyer's administrator otherwise.
    Reads `seller`, `buyer_seller` and `issuer`."""
    payer = invoice.client_id is not None or administers(membership, invoice.buyer_seller)
    snapshots = {
        "seller": (invoice.seller_snapshot, invoice.seller, payer),
        "buyer": (invoice.buyer_snapshot, invoice.buyer_seller, False),
        "issuer": (invoice.issuer_snapshot, invoice.issuer, False),
    }
    return {
        name: dict(snapshot or {})
        if shown or administers(membership, party)
        else without_bank_details(snapshot or {})
        for name, (snapshot, party, shown) in snapshots.items()
    }


def without_bank_details(party: dict) -> dict:
    """A seller's or buyer's snapshot with its bank details blanked."""
    return {name: "" if name in BANK_DETAILS else value for name, value in party.items()}


def may_read_files(membership: Membership, invoice: Invoice) -> bool:
    """The stored PDF and XML print the seller's IBAN: for any reader of a client's invoice; between two
    businesses, for the seller's owner and the buyer's administrator. Reads `seller` and `buyer_seller`."""
    return (
        invoice.client_id is not None
        or administers(membership, invoice.seller)
        or administers(membership, invoice.buyer_seller)
    )
