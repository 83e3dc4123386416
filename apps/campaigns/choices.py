"""The vocabularies of global campaigns (flow 5): where a campaign's asset came from, and the state of one asset in
one region of the campaign (a cell of the matrix) with the moves it may make."""

from django.db import models


class AssetSource(models.TextChoices):
    LIBRARY = "library", "Library"
    MATCHING = "matching", "Matching"
    DELIVERY = "delivery", "Request delivery"


class CellState(models.TextChoices):
    PENDING = "pending", "Not started"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RESTRICTED = "restricted", "Approved with restrictions"


DECIDED = frozenset({CellState.APPROVED, CellState.REJECTED, CellState.RESTRICTED})

# The moves a cell's state may make; the one writer is ``services._move_cell``. A regional run starts (in review);
# its end decides the cell; a run cancelled in OpenText puts it back (not started), so it may be started again.
CELL_TRANSITIONS: dict[str, frozenset[str]] = {
    CellState.PENDING: frozenset({CellState.IN_REVIEW}),
    CellState.IN_REVIEW: frozenset({CellState.APPROVED, CellState.REJECTED, CellState.RESTRICTED, CellState.PENDING}),
    CellState.APPROVED: frozenset(),
    CellState.REJECTED: frozenset(),
    CellState.RESTRICTED: frozenset(),
}
