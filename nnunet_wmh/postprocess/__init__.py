"""Post-processing of nnU-Net predictions: metrics, region burden, reports (added by later issues)."""
