"""The benchmark generator's one error: a data set it cannot build, or will not build here."""


class GeneratorError(Exception):
    pass
