"""monitoring_pipelines: ML model monitoring as a Dagster project."""

from monitoring_pipelines.blas import limit_blas_threads
from monitoring_pipelines.gcthreshold import freeze_at_exit, raise_gc_threshold
from monitoring_pipelines.malloc import limit_arenas, no_numpy_hugepages

# before any of our threads allocate: see malloc.py
limit_arenas()
limit_blas_threads()  # before numpy loads its OpenBLAS: see blas.py
no_numpy_hugepages()
raise_gc_threshold()  # see gcthreshold.py
freeze_at_exit()
