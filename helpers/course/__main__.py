"""`python -m helpers.course sync ...`: the Colab badge, set-up cell and slide metadata (helpers.course.colab)."""

from .colab import main

main()
