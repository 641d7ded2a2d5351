"""Notify: the run summary the team receives.

``notification.format_message`` formats the state machine's state; ``ab_notice`` writes its A/B section.
"""
