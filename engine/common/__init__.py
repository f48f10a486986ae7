"""What every stage shares: the kinds of values (`types`), the checked program (`ir`), the
result of a run (`result`), every diagnostic's constructor (`messages`) and meaning (`codes`),
the version and the digests. It imports no stage."""
