"""Chapter 7 (CIFAR-10): the exercise 'the per-pixel standard deviation of the R channel'."""
from ..checks import check_number
from .answers import AnswerChecker, answer_spec, check_answer

__all__ = ["cifar_std_spec", "cifar_std_feedback", "cifar_std_exercise"]

QUOTED_STD = 0.2023            # the per-image value many tutorials (and a lesson) quote
CODE_NOTE = ("この問題はコードを実行して答えを求めます（Python の環境で）。"
             "答えの確認は、Python の動いていない HTML 版の本でもできます。")


def cifar_std_spec(pixel_std, image_std, mean, tol=0.002):
    """The answer spec: right, the per-image mix-up, the mean, or not in 0..1 units.

    本書: 章のコードからは直接使いません
    """
    about = "訓練画像のすべての画素を一つの集団とみなした標準偏差で、Normalize に渡すべき値です。"
    per_image = (f"これは「画像ごとの標準偏差の平均」（ここでは {image_std:.4f}、よく引用される "
                 f"{QUOTED_STD} もこれに近い値）です。画像の間のばらつきが入らないので小さくなります。"
                 "全画素をまとめて標準偏差を計算してください。")
    units = "画素値を 0〜1 に直した単位で答えてください（0〜255 のままだと 255 倍になります）。"
    rules = [{"kind": "ng", "near": [image_std, tol], "message": per_image},
             {"kind": "ng", "near": [QUOTED_STD, tol], "message": per_image},
             {"kind": "ng", "near": [mean, tol], "message": "これは R チャネルの平均です。聞いているのは標準偏差です。"},
             {"kind": "ng", "above": 1, "message": units},
             {"kind": "ng", "below": 0, "message": units}]
    question = ("CIFAR-10 の訓練画像で、R チャネルの画素値（0〜1）の標準偏差はいくつですか？"
                "（小数第3位まで）")
    return answer_spec(
        question, pixel_std, f"正解です（{pixel_std:.4f}）。{about}", name="標準偏差", tol=tol,
        rules=rules,
        hint="ヒント: mean, std = cifar10.channel_stats(train_full.X) の std[0] です。",
        reveal=f"答えは {pixel_std:.4f} です。{about}")


def cifar_std_feedback(text, pixel_std, image_std, mean, tol=0.002, attempt=1):
    """``(kind, html)`` for the reader's per-pixel std of the R channel (see cifar_std_spec).

    本書: 章のコードからは直接使いません
    """
    return check_answer(cifar_std_spec(pixel_std, image_std, mean, tol), text, attempt)


def cifar_std_exercise(pixel_std, image_std, mean):
    """Checker: the reader types the per-pixel std of the R channel (0..1 units).

    本書: 第7章
    """
    values = [check_number(v, name, 0, 1) for v, name in
              ((pixel_std, "pixel_std"), (image_std, "image_std"), (mean, "mean"))]
    return AnswerChecker(problems=[cifar_std_spec(*values)], placeholder="例: 0.123",
                         note=CODE_NOTE)
