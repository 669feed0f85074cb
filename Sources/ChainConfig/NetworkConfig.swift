enum ChainConfigPlaceholder {}
