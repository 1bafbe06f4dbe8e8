"""Crisis detection: a streaming anomaly detector per client and topic on mention volume and negative share."""
