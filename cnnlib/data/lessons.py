"""The lessons' small example matrices, shared by the chapters, the widgets and the tests.

Each is a list of rows (plain numbers, so it can travel into a page as JSON); wrap it with
``np.array(..., dtype=float)`` to compute with it.
"""

__all__ = ["CONV_INPUTS", "POOL_INPUTS", "EDGE_MAP"]

# Inputs of the convolution chapter (and of its explorer).
CONV_INPUTS = {
    "縦の境界 (6×6)": [[0, 0, 0, 1, 1, 1]] * 6,
    "横の境界 (6×6)": [[0] * 6] * 3 + [[1] * 6] * 3,
    "L字・正方形・横棒 (8×8)": [[0, 0, 0, 0, 0, 0, 0, 0],
                            [0, 1, 0, 0, 0, 0, 0, 0],
                            [0, 1, 0, 0, 0, 1, 1, 1],
                            [0, 1, 1, 1, 0, 1, 1, 1],
                            [0, 0, 0, 0, 0, 1, 1, 1],
                            [0, 0, 0, 0, 0, 0, 0, 0],
                            [0, 0, 1, 1, 1, 0, 0, 0],
                            [0, 0, 0, 0, 0, 0, 0, 0]],
    "レッスンの5×5": [[1, 2, 3, 0, 1], [4, 5, 6, 1, 2], [7, 8, 9, 2, 3], [1, 2, 3, 4, 5],
                   [6, 7, 8, 5, 6]],
}

# The pooling lesson's exercise 1: a 6x6 edge feature map (a square outline one pixel thick).
EDGE_MAP = [[0, 0, 0, 0, 0, 0], [0, 1, 1, 1, 1, 0], [0, 1, 0, 0, 1, 0],
            [0, 1, 0, 0, 1, 0], [0, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 0]]

# Inputs of the pooling chapter (and of its explorer).
POOL_INPUTS = {
    "資料の4×4（例1）": [[1, 3, 2, 4], [5, 6, 1, 2], [7, 2, 8, 3], [1, 4, 6, 9]],
    "資料の4×4（例2）": [[2, 5, 6, 1], [9, 3, 7, 3], [8, 5, 7, 8], [6, 6, 1, 1]],
    "エッジの特徴マップ 6×6": EDGE_MAP,
    "同点のある 4×4": [[1, 1, 0, 2], [1, 1, 2, 0], [3, 0, 0, 0], [0, 0, 0, 0]],
}
