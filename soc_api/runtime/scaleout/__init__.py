"""Scale-out: collectors and workers over NATS JetStream."""
