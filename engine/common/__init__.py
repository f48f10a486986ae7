"""What every stage shares: the kinds of values (`types`), the checked program (`ir`), the
result of a run (`result`), every diagnostic's constructor (`messages`) and meaning (`codes`),
what a rule reads (`walk`), the version and the digests. It imports no stage."""
