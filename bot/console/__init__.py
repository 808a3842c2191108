"""The terminal: the chat loop, the hidden SecretKey prompt, notices between lines."""
