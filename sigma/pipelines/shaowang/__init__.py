"""pySigma plugin: ``sigma convert -p shaowang_ecs`` maps Sigma taxonomy fields to Shaowang's ECS."""

from detectors.sigma.pipeline import shaowang_ecs

pipelines = {"shaowang_ecs": shaowang_ecs}

__all__ = ["pipelines", "shaowang_ecs"]
