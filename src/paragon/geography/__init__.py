"""Geography: LSOA -> neighbourhood -> LPU -> force, and British National Grid."""
