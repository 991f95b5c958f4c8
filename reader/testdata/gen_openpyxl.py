#!/usr/bin/python3
"""Writes the openpyxl test workbooks of reader/xlsx_writers_test.go.

Remake them with (from reader/testdata):
    /usr/bin/python3 gen_openpyxl.py            # Debian's python3-openpyxl 3.0.9
    soffice --headless --convert-to xlsx --outdir lo openpyxl-1900.xlsx openpyxl-1904.xlsx
    mv lo/openpyxl-1900.xlsx libreoffice-1900.xlsx; mv lo/openpyxl-1904.xlsx libreoffice-1904.xlsx; rmdir lo
(LibreOffice 7.x Calc reads the openpyxl file and writes its own .xlsx.)
"""
import datetime
import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904

HEADER = ["序号", "姓名", "银行卡号", "手机号", "身份证号", "证件类型", "开户日期", "备注"]


def build(path, epoch):
    wb = openpyxl.Workbook()
    if epoch is not None:
        wb.epoch = epoch
    tpl = wb.active
    tpl.title = "模板"
    tpl.append(HEADER)
    tpl.append([0, "示例", "6222000000000000", "13800000000", "110101199001011237", "身份证", None, "example"])
    tpl.sheet_state = "hidden"
    vh = wb.create_sheet("lookup")
    vh.append(["Name", "BankCard", "Phone", "IdCard"])
    vh.sheet_state = "veryHidden"
    ws = wb.create_sheet("名单")
    ws.append(["客户四要素核验名单"])
    ws.append([])
    ws.append(HEADER)
    ws.append([1, "张伟", "6222023416721109", "16689915737", "110101198503129492", "身份证",
               datetime.date(2024, 1, 31), "line one\nline two"])
    ws.append([2, "张伟", "6222023416721109", "16689915737", "110101198503129492", "居民身份证",
               datetime.datetime(2024, 1, 31, 13, 45, 0), "  spaced  "])
    ws.append([3, "张伟", "6222023416721109", "16689915737", "110101198503129492", "护照",
               datetime.date(1999, 12, 31), "a_x0041_b"])
    for r in range(4, 7):
        ws.cell(row=r, column=7).number_format = "yyyy/mm/dd hh:mm" if r == 5 else "yyyy-mm-dd"
    ws["I4"] = 45292.5
    ws["I4"].number_format = "0.00"  # a number, not a date
    wb.save(path)


build("openpyxl-1900.xlsx", None)
build("openpyxl-1904.xlsx", CALENDAR_MAC_1904)
