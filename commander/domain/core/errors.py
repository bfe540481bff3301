class DomainError(ValueError):
    """A request the rules refuse. The message is a sentence a person can act on."""
