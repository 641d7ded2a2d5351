"""Local SageMaker: training, batch transform and endpoints that really compute."""
