"""The torch side: models, architectures, summarize, train, metrics, checkpoints, recipes,
transfer, experiments, cam (Grad-CAM) and twin (the torch twin of the from-scratch loop)."""
