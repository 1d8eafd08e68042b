from django import template

register = template.Library()


@register.filter
def initials(user) -> str:
    """Up to two initials for an avatar without photo: "Claire Martin" → "CM"."""
    name = getattr(user, "display_name", "") or str(user or "")
    parts = [part for part in name.replace("-", " ").split() if part]
    if not parts:
        return "?"
    letters = parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")
    return letters.upper()
