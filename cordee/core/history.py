"""What would be lost with a row: the rows of other models that a delete would take along or that forbid it.

Nothing with history is deleted. A relation whose rows are deleted with the row (CASCADE) or that forbids
the delete (PROTECT, RESTRICT) holds history; one set to NULL (SET_NULL) keeps its rows, which then point
at nothing. The relations are read from the models, so an app above (billing, feedback) that starts
referring to a row counts without the lower app importing it.
"""

from django.db import models

KEEPING = (models.SET_NULL, models.SET_DEFAULT, models.DO_NOTHING)


def history_of(instance: models.Model) -> list[str]:
    """The plural names of the models holding rows that refer to `instance` and would go with it (or forbid
    the delete), in the models' order; empty when it can be deleted without rewriting the past."""
    names = []
    for relation in instance._meta.related_objects:
        if relation.many_to_many:
            through = getattr(instance, relation.get_accessor_name())
            if through.exists():
                names.append(str(relation.related_model._meta.verbose_name_plural))
            continue
        if relation.on_delete in KEEPING:
            continue
        if relation.related_model._base_manager.filter(**{relation.field.name: instance}).exists():
            names.append(str(relation.related_model._meta.verbose_name_plural))
    return names
