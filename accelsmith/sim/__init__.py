"""accelsmith.sim"""
