"""scikit-learn's estimator protocol for fasttag's estimators, so that clone, Pipeline and
GridSearchCV take them."""

from __future__ import annotations

from sklearn.base import BaseEstimator

from .errors import ParameterError


class EstimatorParams(BaseEstimator):
    """scikit-learn's BaseEstimator (``get_params``, tags) whose ``set_params`` checks the values
    as the constructor does: each parameter is kept in an attribute of its name."""

    def set_params(self, **params):
        """Set constructor parameters, checked as the constructor checks them; returns self."""
        names = list(self.get_params(deep=False))
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise ParameterError(f"{type(self).__name__} has no parameter(s) {unknown}; it takes {names}")
        merged = {**self.get_params(deep=False), **params}
        type(self)(**merged)  # checked on a new one first: a refused value leaves self as it was
        self.__init__(**merged)
        return self
