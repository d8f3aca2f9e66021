"""Messages to visitors outside their page: SMS (SMPP) and the sender that delivers the outbox."""
