"""NumPy only: imports without torch and matplotlib (a test checks it).

functional (reference ops the chapters show), fast (the same conv2d on several threads), layers,
gradcheck, train (the from-scratch training loop), convmath and pooling (the lessons' maths).
"""
