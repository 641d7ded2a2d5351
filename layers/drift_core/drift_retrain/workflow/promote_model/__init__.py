"""PromoteModel: what follows a successful endpoint update.

``promotion.promote_model`` is the step (the new baseline profile, lineage, the monitor's reference);
``registry`` is its SageMaker model-registry adapter and ``cleanup`` deletes this stack's old endpoint
configs and models.
"""
