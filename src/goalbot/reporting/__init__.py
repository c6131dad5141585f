"""Evaluation results turned into reports: formatting, view models and templates."""
