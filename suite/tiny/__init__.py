"""Tiny local models: random Qwen3s for template tests and the tiny trained reasoner.

Nothing here downloads anything; everything is built from a seed on CPU.
"""

from suite.tiny._arithmetic import ArithmeticProblem, arithmetic_problems, final_answer_text, make_problem
from suite.tiny._model import build_random_model, save_random_model
from suite.tiny._reasoner import TrainingConfig, cache_root, ensure_reasoner, train_reasoner
from suite.tiny._release import ORACLE, build_arithmetic_release, write_arithmetic_source
from suite.tiny._templates import CHAT_TEMPLATES
from suite.tiny._tokenizer import build_tokenizer

__all__ = [
    "CHAT_TEMPLATES",
    "ORACLE",
    "ArithmeticProblem",
    "TrainingConfig",
    "arithmetic_problems",
    "build_arithmetic_release",
    "build_random_model",
    "build_tokenizer",
    "cache_root",
    "ensure_reasoner",
    "final_answer_text",
    "make_problem",
    "save_random_model",
    "train_reasoner",
    "write_arithmetic_source",
]
