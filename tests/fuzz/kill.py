def run_kills(n, r, s):
    return []
