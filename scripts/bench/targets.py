"""What each section aims at (issue 4), and the sizes of the synthetic images it uses; the chart draws the targets."""


MEMORY_SIZES = {"full": [256, 4096], "quick": [16, 64]}
SCALING_SIZES = {"full": [256, 1024, 4096], "quick": [16, 32, 64]}
BASELINE_SIZE = 1
REWRITE_TIME_TARGET = 0.5
REWRITE_SIZE_TARGET = 1.01
PASSTHROUGH_TARGET = 0.6
MEMORY_TARGET_MIB = 64
MEMORY_SAME_MIB = 8
LINEAR_TARGET = 1.15
