"""accelsmith.reports"""
