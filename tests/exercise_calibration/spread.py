"""A spread: the scores of legitimate and of wrong answers against one check's reference."""

from __future__ import annotations

from dataclasses import dataclass, field

LEGIT_SEEDS = (3, 4, 5)
"""Seeds of the legitimate answers, disjoint from the checks' ``REFERENCE_SEEDS`` (0-2)."""


@dataclass
class Spread:
    """Scores of legitimate and of wrong answers against a check's reference.

    Attributes
    ----------
    legit
        Score of each legitimate answer, by description.
    wrong
        Score of each wrong answer, by description.
    counts
        Number of clusters of each answer (legitimate and wrong), by description.

    Examples
    --------
    >>> spread = Spread(legit={"seed 3": 0.9}, wrong={"X_pca": 0.2})
    >>> spread.separates(0.5)
    True
    """

    legit: dict[str, float] = field(default_factory=dict)
    wrong: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def legit_min(self) -> float:
        """Lowest score of a legitimate answer."""
        return min(self.legit.values())

    @property
    def wrong_max(self) -> float:
        """Highest score of a wrong answer."""
        return max(self.wrong.values())

    def separates(self, threshold: float) -> bool:
        """Whether ``threshold`` accepts every legitimate answer and rejects every wrong one."""
        return self.wrong_max < threshold <= self.legit_min
