"""Off-Trajectory Reasoning Suite: recoverability and guidability of reasoning LLMs.

Implements the twin tests of Li & Goyal, "Off-Trajectory Reasoning: Can LLMs
Collaborate on Reasoning Trajectories?" (arXiv 2510.06410).
"""

__version__ = "0.1.0"
