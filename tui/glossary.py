"""Every figure the screens show, defined once in words a Keras user knows: the `?` screens and README read these."""

from __future__ import annotations

from rich.table import Table

GLOSSARY: dict[str, str] = {
    # The main screen: the loss pane, the probe, the modes table.
    "fit loss": "the loss fit() reports: dropout on, averaged over the epoch's batches while the weights still change",
    "train loss": "the training set's loss with dropout off at the epoch's end weights (the loss pane's clean train)",
    "test loss": "the test set's loss with dropout off, as model.evaluate() gives it",
    "dropout penalty": "training loss with dropout on minus off, same weights: what dropout's noise adds to the loss",
    "drift": "the part of fit loss that neither the end weights nor dropout explain: the weights improved mid-epoch",
    "generalisation gap": "test loss minus clean training loss, both dropout off: how much worse on unseen data",
    "votes": "the probe: how many of the T dropout-on passes pick each class (class:count)",
    "entropy": "entropy of the mean prediction, in nats: total uncertainty (0 is sure; ln(classes) a uniform guess)",
    "aleatoric": "the passes' mean entropy: uncertainty all passes share (noisy data), which more data does not remove",
    "acc %": "share of test inputs whose top class is the label, in percent (higher is better)",
    "loss": "the model's compiled loss on the test set in that mode (for cross-entropy, the NLL; lower is better)",
    "Δacc": "a mode's accuracy minus dropout off's (inference), in percentage points: what that mode costs",
    "±": "after a repeated mode's figure: the standard error of its mean over the R repeats (fresh dropout masks "
    "each); a gap within about two of them may be noise",
    "trend": "the figure over the evaluation rounds so far, oldest on the left",
    "RMSE": "root mean squared error of the predictions, in the targets' units (lower is better)",
    "MAE": "mean absolute error of the predictions, in the targets' units (lower is better)",
    "ΔRMSE": "a mode's RMSE relative to dropout off's, in percent: what that mode costs",
    "MC std": "standard deviation of the T dropout-on passes' predictions, averaged over the test set",
    # The Uncertainty screens.
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
    "max-prob": "the top class's probability, the usual confidence score; the reliability diagram bins inputs by it",
    "passes": "forward passes per test input a method costs: 1 with dropout off, T for MC dropout, K for an ensemble",
    "coverage": "share of targets inside the predicted interval; a 90% interval (cov90) should hold about 90% of them",
    "miscal": "miscalibration area: the area between observed and nominal coverage over all levels (lower is better)",
    "sharpness": "mean predictive standard deviation, in the targets' units: narrower is better, but only "
    "with good coverage",
    "temperature": "T in softmax(logits / T), fitted on held-out labels: above 1 softens an over-confident "
    "model, below 1 sharpens an under-confident one",
    "beyond noise": "a paired bootstrap over the test inputs puts the gap's 95% interval clear of 0; "
    "otherwise the two are indistinguishable on this test set",
    # The Explain screen.
    "verdict": "what the measurement on your Keras says of the claim: true, false, or caveat (true only in part)",
    "measured": "the numbers the verdict was read from, measured just now on a small model",
}
# What each screen shows, in the order its `?` lists them.
MAIN_TERMS = ("fit loss", "train loss", "test loss", "dropout penalty", "drift", "generalisation gap")
CLASSIFICATION_MAIN_TERMS = (
    *MAIN_TERMS,
    "votes",
    "entropy",
    "MI",
    "acc %",
    "loss",
    "ECE",
    "Δacc",
    "±",
    "trend",
)
REGRESSION_MAIN_TERMS = (*MAIN_TERMS, "RMSE", "MAE", "ΔRMSE", "±", "trend", "MC std", "NLL", "coverage")
UNCERTAINTY_TERMS = (
    "max-prob",
    "ECE",
    "MCE",
    "ACE",
    "NLL",
    "Brier",
    "AUROC",
    "AURC",
    "FPR95",
    "MI",
    "entropy",
    "aleatoric",
    "passes",
    "temperature",
    "beyond noise",
)
REGRESSION_TERMS = ("coverage", "RMSE", "NLL", "miscal", "sharpness", "passes")
SWEEP_TERMS = (
    "fit loss",
    "train loss",
    "test loss",
    "dropout penalty",
    "acc %",
    "±",
    "NLL",
    "ECE",
    "Brier",
    "AUROC",
    "AURC",
    "MI",
    "RMSE",
    "MAE",
    "coverage",
)
EXPLAIN_TERMS = ("verdict", "measured")


def glossary_table(terms: tuple[str, ...]) -> Table:
    """The terms a screen shows, one each (a long one wraps under its meaning's column)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for term in terms:
        table.add_row(term, GLOSSARY[term])
    return table
