"""Bulk actions on the contacts list (issue 15): select all that match a filter, then assign an
owner, change the stage with a reason, add to or remove from a segment, or export a CSV."""
