"""Image registration with SimpleITK: atlas regions into native space, T1 onto the FLAIR grid."""
