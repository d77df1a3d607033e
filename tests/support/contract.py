"""The headless summary contract of design.md, written once for every test that checks it."""

SUMMARY_KEYS = {"event", "dataset", "n_train", "n_test", "epochs_run", "seconds", "stochastic_layers", "modes"}
MODE_KEYS = {
    "inference": {"accuracy", "loss", "ece", "brier"},
    "training": {"accuracy", "accuracy_std", "loss", "loss_std", "repeats", "bn_moving_stats_shift"},
    "trainable_flag": {"accuracy", "loss", "max_abs_diff_vs_inference"},
    "dropout_only": {"accuracy", "accuracy_std", "loss", "loss_std", "repeats"},
    "mc": {"accuracy", "loss", "ece", "brier", "samples"},
}
