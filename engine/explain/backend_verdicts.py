"""Verdicts and explanations of the backend claims (9: JAX, 10: PyTorch): pure functions of the numbers."""

from __future__ import annotations

from dropout_tui.engine.explain.verdicts import EXACT, Notes, Numbers, Verdict


# 9. "jax.jit of model(x, training=True) gives fresh dropout masks on every call."
def verdict_jax_jit(m: Numbers) -> Verdict:
    fresh = m["distinct_outputs_jit_model_call"] == m["calls"]
    if fresh and not m["predict_fails_after"]:
        return Verdict("true")
    return Verdict("caveat" if fresh else "false")


def explain_jax_jit(m: Numbers, n: Notes, verdict: Verdict) -> str:
    calls = int(m["calls"])
    frozen = int(m["distinct_outputs_jit_model_call"])
    text = f"{calls} calls of jax.jit(lambda x: model(x, training=True)) gave {frozen} distinct output(s)"
    text += (
        ": the masks were fresh each call. "
        if frozen == calls
        else ": the seed state was traced once as a constant, so every call repeats the same masks. "
    )
    if m["predict_fails_after"]:
        text += f"Afterwards model.predict fails ({n.get('predict_error', 'an error')}): the trace left a tracer "
        text += "in the Dropout layer's seed state. "
    else:
        text += "model.predict still worked afterwards. "
    carried = int(m["distinct_outputs_jit_stateless_call"])
    return text + (
        f"jax.jit over model.stateless_call, carrying the returned seed state into the next call, gave {carried} "
        f"distinct outputs in {calls} calls: that is how the app evaluates on JAX."
    )


# 10. "model.eval() turns Keras dropout off (PyTorch backend)."
def verdict_torch_eval(m: Numbers) -> Verdict:
    still_dropping = m["distinct_outputs_after_eval_training_true"] > 1
    train_switches_on = m["train_default_call_max_abs_diff_from_inference"] > EXACT
    return Verdict("false" if still_dropping and not train_switches_on else "true" if not still_dropping else "caveat")


def explain_torch_eval(m: Numbers, n: Notes, verdict: Verdict) -> str:
    calls = int(m["calls"])
    distinct = int(m["distinct_outputs_after_eval_training_true"])
    text = (
        f"After model.eval(), {calls} calls of model(x, training=True) gave {distinct} distinct output(s), up to "
        f"{m['eval_training_true_max_abs_diff_from_inference']:.3g} from inference: "
        + ("dropout stayed on. " if distinct > 1 else "dropout was off. ")
    )
    text += (
        f"After model.train(), model(x) differs from inference by "
        f"{m['train_default_call_max_abs_diff_from_inference']:.3g}: "
    )
    if m["train_default_call_max_abs_diff_from_inference"] <= EXACT:
        text += "torch's train/eval flag does nothing to Keras layers; only the training= argument counts."
    else:
        text += "torch's train() flag switched dropout on."
    return text
