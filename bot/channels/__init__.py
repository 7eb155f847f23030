"""Customer channels. Each adapter turns raw platform input into InboundMessage and
sends what operators write back through the platform's client."""
