"""Every figure the screens show, defined once in words a Keras user knows: the `?` screens and README read these."""

from __future__ import annotations

from rich.table import Table

GLOSSARY: dict[str, str] = {
    "ECE": "expected calibration error: how far confidence is from accuracy, averaged over 15 confidence bins "
    "(0 is perfect; lower is better)",
    "MCE": "maximum calibration error: the worst bin's gap between confidence and accuracy (lower is better)",
    "ACE": "adaptive ECE: ECE over 15 bins holding equal numbers of samples (lower is better)",
    "NLL": "negative log-likelihood: mean -log p(true answer), what cross-entropy training minimises (lower is better)",
    "Brier": "squared error of the predicted probabilities against the one-hot label, summed over classes "
    "(lower is better)",
    "AUROC": "how well a score ranks errors (or OOD inputs) above the rest: 0.5 is chance, 1 perfect "
    "(higher is better)",
    "AURC": "area under the risk-coverage curve: the error rate when answering only the surest, "
    "averaged over every coverage (lower is better)",
    "FPR95": "share of test inputs wrongly flagged at the threshold that catches 95% of the OOD inputs "
    "(lower is better)",
    "MI": "mutual information between the prediction and the dropout masks (or members): how much the "
    "passes disagree, the epistemic part of the uncertainty",
    "coverage": "share of targets inside the predicted interval; a 90% interval should hold about 90% of them",
    "sharpness": "mean predictive standard deviation, in the targets' units: narrower is better, but only "
    "with good coverage",
    "temperature": "T in softmax(logits / T), fitted on held-out labels: above 1 softens an over-confident "
    "model, below 1 sharpens an under-confident one",
}
UNCERTAINTY_TERMS = ("ECE", "MCE", "ACE", "NLL", "Brier", "AUROC", "AURC", "FPR95", "MI", "temperature")
REGRESSION_TERMS = ("NLL", "coverage", "sharpness")


def glossary_table(terms: tuple[str, ...]) -> Table:
    """The terms a screen shows, one line each."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for term in terms:
        table.add_row(term, GLOSSARY[term])
    return table
