"""One construct per concern, composed by `workflow.stack.OrderProcessorStack`."""
