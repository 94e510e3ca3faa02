"""What every way of responding shares: the channel protocol, tokens, guards, storing once,
search words."""
