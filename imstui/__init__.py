"""imstui: a terminal console for replicating Huawei Cloud IMS images within a region."""

__version__ = "0.1.0"
