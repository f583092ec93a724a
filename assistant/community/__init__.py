"""What people give back: feedback on answers (`feedback`) and solutions submitted for moderation before they
are published into the knowledge base (`submissions`)."""
