"""The Abalone age (rings) regression pipeline: preprocess → train → evaluate → gate → register."""
